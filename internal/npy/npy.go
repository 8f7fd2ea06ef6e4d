// Package npy reads and writes one-dimensional NumPy .npy arrays.
package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
)

var (
	descrRE = regexp.MustCompile(`'descr':\s*'([<>|=]?)([a-z])(\d+)'`)
	fortRE  = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	shapeRE = regexp.MustCompile(`'shape':\s*\(\s*(\d*)\s*,?\s*\)`)
)

type header struct {
	kind  byte // 'f', 'u', 'i'
	size  int
	count int64
}

// maxHeader is the longest header accepted: NumPy's are a few hundred
// bytes.
const maxHeader = 1 << 16

// readHeader reads the header from r and returns it and its length in
// bytes.
func readHeader(r *bufio.Reader) (header, int64, error) {
	var h header
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil {
		return h, 0, fmt.Errorf("reading magic: %w", err)
	}
	if string(magic[:6]) != "\x93NUMPY" {
		return h, 0, fmt.Errorf("not a .npy file")
	}
	var hlen, n int64
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, 0, err
		}
		hlen, n = int64(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, 0, err
		}
		hlen, n = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return h, 0, fmt.Errorf("unsupported .npy version %d", magic[6])
	}
	if hlen > maxHeader {
		return h, 0, fmt.Errorf("header of %d bytes: at most %d are accepted", hlen, maxHeader)
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return h, 0, fmt.Errorf("reading header: %w", err)
	}
	d := descrRE.FindSubmatch(text)
	if d == nil {
		return h, 0, fmt.Errorf("header has no descr: %q", text)
	}
	if string(d[1]) == ">" {
		return h, 0, fmt.Errorf("big-endian arrays are not supported")
	}
	if f := fortRE.FindSubmatch(text); f != nil && string(f[1]) == "True" {
		return h, 0, fmt.Errorf("fortran-ordered arrays are not supported")
	}
	s := shapeRE.FindSubmatch(text)
	if s == nil {
		return h, 0, fmt.Errorf("only one-dimensional arrays are supported, header %q", text)
	}
	h.kind = d[2][0]
	size, err := strconv.Atoi(string(d[3]))
	if err != nil || (size != 1 && size != 2 && size != 4 && size != 8) {
		return h, 0, fmt.Errorf("element size %q: 1, 2, 4 or 8 bytes are supported", d[3])
	}
	h.size = size
	h.count = 1
	if len(s[1]) > 0 {
		if h.count, err = strconv.ParseInt(string(s[1]), 10, 64); err != nil {
			return h, 0, fmt.Errorf("shape %q: %w", s[1], err)
		}
	}
	return h, n + hlen, nil
}

// decoder reads the elements of an array whose header said h.
type decoder struct {
	r   *bufio.Reader
	h   header
	buf []byte
}

// newDecoder reads the header from r, which holds n bytes in all, and
// checks that they hold the elements the header announces (so that no
// allocation exceeds the data).
func newDecoder(r io.Reader, n int64) (*decoder, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	h, hn, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	if h.count < 0 || h.count > (n-hn)/int64(h.size) {
		return nil, fmt.Errorf("header announces %d elements of %d bytes, the data holds %d bytes", h.count, h.size, n-hn)
	}
	return &decoder{r: br, h: h, buf: make([]byte, h.size)}, nil
}

func (d *decoder) next(i int) ([]byte, error) {
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return nil, fmt.Errorf("element %d: %w", i, err)
	}
	return d.buf, nil
}

// ReadFloat64 reads a float64 array (float32 and integer arrays are
// converted) from the file path.
func ReadFloat64(path string) ([]float64, error) {
	return readFile(path, DecodeFloat64)
}

// ReadUint32 reads an integer array whose values fit in uint32 from the
// file path.
func ReadUint32(path string) ([]uint32, error) {
	return readFile(path, DecodeUint32)
}

func readFile[T any](path string, decode func(io.Reader, int64) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	out, err := decode(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// DecodeFloat64 reads a float64 array (float32 and integer arrays are
// converted) from r, which holds n bytes.
func DecodeFloat64(r io.Reader, n int64) ([]float64, error) {
	d, err := newDecoder(r, n)
	if err != nil {
		return nil, err
	}
	h := d.h
	out := make([]float64, h.count)
	for i := range out {
		buf, err := d.next(i)
		if err != nil {
			return nil, err
		}
		switch {
		case h.kind == 'f' && h.size == 8:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		case h.kind == 'f' && h.size == 4:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf)))
		default:
			v, err := intValue(h, buf)
			if err != nil {
				return nil, err
			}
			out[i] = float64(v)
		}
	}
	return out, nil
}

// DecodeUint32 reads an integer array whose values fit in uint32 from r,
// which holds n bytes.
func DecodeUint32(r io.Reader, n int64) ([]uint32, error) {
	d, err := newDecoder(r, n)
	if err != nil {
		return nil, err
	}
	h := d.h
	if h.kind != 'u' && h.kind != 'i' {
		return nil, fmt.Errorf("integer array expected, found kind %q", h.kind)
	}
	out := make([]uint32, h.count)
	for i := range out {
		buf, err := d.next(i)
		if err != nil {
			return nil, err
		}
		v, err := intValue(h, buf)
		if err != nil {
			return nil, err
		}
		if v < 0 || v > math.MaxUint32 {
			return nil, fmt.Errorf("element %d = %d does not fit in uint32", i, v)
		}
		out[i] = uint32(v)
	}
	return out, nil
}

func intValue(h header, b []byte) (int64, error) {
	switch {
	case h.kind == 'u' && h.size == 4:
		return int64(binary.LittleEndian.Uint32(b)), nil
	case h.kind == 'i' && h.size == 4:
		return int64(int32(binary.LittleEndian.Uint32(b))), nil
	case h.kind == 'u' && h.size == 8:
		u := binary.LittleEndian.Uint64(b)
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("value %d out of range", u)
		}
		return int64(u), nil
	case h.kind == 'i' && h.size == 8:
		return int64(binary.LittleEndian.Uint64(b)), nil
	case h.kind == 'u' && h.size == 2:
		return int64(binary.LittleEndian.Uint16(b)), nil
	case h.kind == 'i' && h.size == 2:
		return int64(int16(binary.LittleEndian.Uint16(b))), nil
	case h.kind == 'u' && h.size == 1:
		return int64(b[0]), nil
	case h.kind == 'i' && h.size == 1:
		return int64(int8(b[0])), nil
	}
	return 0, fmt.Errorf("unsupported dtype %c%d", h.kind, h.size)
}

// WriteFloat64 writes a float64 array as a version 1.0 .npy file.
func WriteFloat64(w io.Writer, data []float64) error {
	if err := writeHeader(w, "<f8", len(data)); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var b [8]byte
	for _, v := range data {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}

// WriteUint32 writes a uint32 array as a version 1.0 .npy file.
func WriteUint32(w io.Writer, data []uint32) error {
	if err := writeHeader(w, "<u4", len(data)); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var b [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(b[:], v)
		bw.Write(b[:])
	}
	return bw.Flush()
}

func writeHeader(w io.Writer, descr string, n int) error {
	text := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n)
	total := 10 + len(text) + 1
	pad := (64 - total%64) % 64
	for i := 0; i < pad; i++ {
		text += " "
	}
	text += "\n"
	hdr := []byte("\x93NUMPY\x01\x00")
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(text)))
	hdr = append(hdr, text...)
	_, err := w.Write(hdr)
	return err
}
