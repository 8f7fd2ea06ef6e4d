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
	count int
}

func readHeader(r *bufio.Reader) (header, error) {
	var h header
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil {
		return h, fmt.Errorf("reading magic: %w", err)
	}
	if string(magic[:6]) != "\x93NUMPY" {
		return h, fmt.Errorf("not a .npy file")
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, err
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, err
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return h, fmt.Errorf("unsupported .npy version %d", magic[6])
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return h, fmt.Errorf("reading header: %w", err)
	}
	d := descrRE.FindSubmatch(text)
	if d == nil {
		return h, fmt.Errorf("header has no descr: %q", text)
	}
	if string(d[1]) == ">" {
		return h, fmt.Errorf("big-endian arrays are not supported")
	}
	if f := fortRE.FindSubmatch(text); f != nil && string(f[1]) == "True" {
		return h, fmt.Errorf("fortran-ordered arrays are not supported")
	}
	s := shapeRE.FindSubmatch(text)
	if s == nil {
		return h, fmt.Errorf("only one-dimensional arrays are supported, header %q", text)
	}
	h.kind = d[2][0]
	h.size, _ = strconv.Atoi(string(d[3]))
	if len(s[1]) == 0 {
		h.count = 1
	} else {
		h.count, _ = strconv.Atoi(string(s[1]))
	}
	return h, nil
}

func open(path string) (*os.File, *bufio.Reader, header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, header{}, err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	h, err := readHeader(r)
	if err != nil {
		f.Close()
		return nil, nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return f, r, h, nil
}

// ReadFloat64 reads a float64 array (float32 and integer arrays are converted).
func ReadFloat64(path string) ([]float64, error) {
	f, r, h, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make([]float64, h.count)
	buf := make([]byte, h.size)
	for i := range out {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: element %d: %w", path, i, err)
		}
		switch {
		case h.kind == 'f' && h.size == 8:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		case h.kind == 'f' && h.size == 4:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf)))
		default:
			v, err := intValue(h, buf)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out[i] = float64(v)
		}
	}
	return out, nil
}

// ReadUint32 reads an integer array whose values fit in uint32.
func ReadUint32(path string) ([]uint32, error) {
	f, r, h, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if h.kind != 'u' && h.kind != 'i' {
		return nil, fmt.Errorf("%s: integer array expected, found kind %q", path, h.kind)
	}
	out := make([]uint32, h.count)
	buf := make([]byte, h.size)
	for i := range out {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: element %d: %w", path, i, err)
		}
		v, err := intValue(h, buf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if v < 0 || v > math.MaxUint32 {
			return nil, fmt.Errorf("%s: element %d = %d does not fit in uint32", path, i, v)
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
		return int64(binary.LittleEndian.Uint64(b)), nil
	case h.kind == 'i' && h.size == 8:
		return int64(binary.LittleEndian.Uint64(b)), nil
	case h.kind == 'u' && h.size == 2:
		return int64(binary.LittleEndian.Uint16(b)), nil
	case h.kind == 'i' && h.size == 2:
		return int64(int16(binary.LittleEndian.Uint16(b))), nil
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
