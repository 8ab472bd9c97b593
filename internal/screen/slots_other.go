//go:build !linux

package screen

// mapSlots returns n zeroed slots from the Go heap (see slots_linux.go).
func mapSlots(n int) ([]slot, []byte) { return make([]slot, n), nil }

func unmapSlots([]byte) {}

// adviseHuge and unadviseHuge do nothing (see slots_linux.go).
func adviseHuge([]byte)   {}
func unadviseHuge([]byte) {}
