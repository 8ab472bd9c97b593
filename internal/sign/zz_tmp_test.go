package sign

import "testing"

func BenchmarkTmpValidate(b *testing.B) {
	obj := []byte(readIndicator(b))
	b.ReportAllocs()
	for b.Loop() {
		if err := validate(obj); err != nil {
			b.Fatal(err)
		}
	}
}
