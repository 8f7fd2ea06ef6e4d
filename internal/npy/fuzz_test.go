package npy

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds the .npy reader arbitrary bytes: it must return an
// array no longer than the data holds, or an error, and never allocate by
// a count that the header alone claims.
func FuzzDecode(f *testing.F) {
	var ok bytes.Buffer
	WriteFloat64(&ok, []float64{1, 2.5, -3})
	f.Add(ok.Bytes())
	ok.Reset()
	WriteUint32(&ok, []uint32{1, 4294967295})
	f.Add(ok.Bytes())
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999,), }     \n"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"))
	f.Add([]byte("\x93NUMPY\x01\x00\x30\x00{'descr': '<u0', 'shape': (3,), }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := DecodeFloat64(bytes.NewReader(data), int64(len(data))); err == nil && 8*len(a) > len(data) && len(a) > len(data) {
			t.Fatalf("%d elements from %d bytes", len(a), len(data))
		}
		if a, err := DecodeUint32(bytes.NewReader(data), int64(len(data))); err == nil && len(a) > len(data) {
			t.Fatalf("%d elements from %d bytes", len(a), len(data))
		}
	})
}
