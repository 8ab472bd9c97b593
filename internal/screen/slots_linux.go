//go:build linux

package screen

import (
	"syscall"
	"unsafe"
)

// hugeSlots is the smallest table (in bytes) mapped with huge pages: a
// few 2 MiB pages.
const hugeSlots = 4 << 20

// mapSlots returns n zeroed slots, and the memory to release with
// unmapSlots when they are no longer used, nil for memory of the Go heap.
// A large table is mapped outside the Go heap, asking the kernel for
// transparent huge pages: a lookup probes a random slot of a table of
// tens of megabytes, and with 4 KiB pages nearly every probe also misses
// the TLB, which on a virtual machine costs a nested page walk. Slots
// hold no pointers, so the garbage collector need not see them.
func mapSlots(n int) ([]slot, []byte) {
	size := n * int(unsafe.Sizeof(slot{}))
	if size < hugeSlots {
		return make([]slot, n), nil
	}
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]slot, n), nil
	}
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE; without it, 4 KiB pages
	return unsafe.Slice((*slot)(unsafe.Pointer(&b[0])), n), b
}

// unmapSlots releases memory mapSlots mapped.
func unmapSlots(b []byte) {
	if b != nil {
		_ = syscall.Munmap(b)
	}
}

// adviseHuge asks for transparent huge pages for the 2 MiB pages within b,
// memory of the Go heap just allocated: before b is written, so that the
// kernel backs it with huge pages when b is first written, where it can,
// rather than later, if ever, by khugepaged. Small slices are left alone.
func adviseHuge(b []byte) { adviseHugePages(b, 14) } // MADV_HUGEPAGE

// unadviseHuge withdraws adviseHuge's advice for b, which is no longer
// used: the Go heap reuses its memory once it is garbage.
func unadviseHuge(b []byte) { adviseHugePages(b, 15) } // MADV_NOHUGEPAGE

func adviseHugePages(b []byte, advice int) {
	const huge = 2 << 20
	if len(b) < hugeSlots {
		return
	}
	p := uintptr(unsafe.Pointer(&b[0]))
	start, end := int((p+huge-1)&^(huge-1)-p), int((p+uintptr(len(b)))&^(huge-1)-p)
	if start < end {
		_ = syscall.Madvise(b[start:end], advice)
	}
}
