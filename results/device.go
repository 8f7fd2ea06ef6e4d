package results

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Formats of recorded data.
const (
	ASCII = "ascii" // NEST's ASCII recording backend: one text file per device
	NPY   = "npy"   // NumPy .npy arrays: one per device and column
)

// Device describes the files of a recording device kind: spike recorders
// (columns sender, time_ms) or voltmeters (sender, time_ms, V_m).
type Device struct {
	Name    string   // file name stem: spike_recorder or voltmeter
	Columns []string // after the sender: time_ms, and V_m for voltmeters
	ID      func(k int) int
}

// SpikeRecorders are the spike recorders of pops, one per population.
func SpikeRecorders(pops Populations) Device {
	return Device{Name: "spike_recorder", Columns: []string{"time_ms"}, ID: pops.RecorderID}
}

// Voltmeters are the voltmeters of pops; spikeRecorders says whether spike
// recorders come before them.
func Voltmeters(pops Populations, spikeRecorders bool) Device {
	return Device{Name: "voltmeter", Columns: []string{"time_ms", "V_m"},
		ID: func(k int) int { return pops.VoltmeterID(k, spikeRecorders) }}
}

// FileNames returns the names of the files of population k's device.
func (dv Device) FileNames(format string, k int) []string {
	stem := fmt.Sprintf("%s-%d-0", dv.Name, dv.ID(k))
	if format == NPY {
		names := []string{stem + ".senders.npy"}
		for _, c := range dv.Columns {
			names = append(names, stem+"."+c+".npy")
		}
		return names
	}
	return []string{stem + ".dat"}
}

// DeviceWriter appends recorded data to the files of a device of every
// population as the run proceeds. Each Append leaves every file complete
// and valid (ASCII lines, .npy arrays whose header counts what follows):
// after an interruption or a crash, the files hold every block appended.
type DeviceWriter struct {
	pops   Populations
	dv     Device
	format string
	files  [][]File // per population: ASCII file, or senders and columns
	bufs   []*bufio.Writer
	size   []int64 // per population: bytes written (ASCII) or records (npy)
	line   []byte
	ready  bool // every file open
}

// npyHeaderLen is the length of the .npy headers a DeviceWriter writes: room
// for any count, so that the header can be rewritten in place.
const npyHeaderLen = 128

// NewDeviceWriter creates the device's files in d in format (ASCII or NPY),
// with NEST's header lines naming version in ASCII files.
func NewDeviceWriter(d *Dir, pops Populations, dv Device, format, version string) (*DeviceWriter, error) {
	w, err := newDeviceWriter(d, pops, dv, format, nil)
	if err != nil {
		return nil, err
	}
	for k := range pops.Sizes {
		if format == ASCII {
			header := fmt.Sprintf("# NEST version: microcircuit %s\n# RecordingBackendASCII version: 2\nsender", version)
			for _, c := range dv.Columns {
				header += "\t" + c
			}
			w.bufs[k].WriteString(header + "\n")
			w.size[k] = int64(len(header) + 1)
		}
	}
	if err := w.sync(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// ReopenDeviceWriter opens the device's files in d again to append after
// positions (from Positions), cutting off what was written after them.
func ReopenDeviceWriter(d *Dir, pops Populations, dv Device, format string, positions []int64) (*DeviceWriter, error) {
	if len(positions) != len(pops.Sizes) {
		return nil, fmt.Errorf("%d file positions for %d populations", len(positions), len(pops.Sizes))
	}
	return newDeviceWriter(d, pops, dv, format, positions)
}

func newDeviceWriter(d *Dir, pops Populations, dv Device, format string, positions []int64) (*DeviceWriter, error) {
	if format != ASCII && format != NPY {
		return nil, fmt.Errorf("format %q: allowed are %s, %s", format, ASCII, NPY)
	}
	w := &DeviceWriter{pops: pops, dv: dv, format: format, files: make([][]File, len(pops.Sizes)),
		bufs: make([]*bufio.Writer, len(pops.Sizes)), size: make([]int64, len(pops.Sizes))}
	for k := range pops.Sizes {
		for c, name := range dv.FileNames(format, k) {
			var f File
			var err error
			if positions == nil {
				f, err = d.Create(name)
				if err == nil && format == NPY {
					// The header, rewritten in place as records are added;
					// the records follow it.
					_, err = f.Write(npyHeader(npyDescr(c), 0))
				}
			} else {
				bytes := positions[k]
				if format == NPY {
					bytes = npyHeaderLen + positions[k]*npyItem(c)
				}
				f, err = d.Reopen(name, bytes)
			}
			if err != nil {
				w.Close()
				return nil, err
			}
			w.files[k] = append(w.files[k], f)
		}
		if positions != nil {
			w.size[k] = positions[k]
		}
		if format == ASCII {
			w.bufs[k] = bufio.NewWriterSize(w.files[k][0], 1<<16)
		}
	}
	w.ready = true
	if format == NPY {
		if err := w.sync(); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// npyDescr is the NumPy type of column c of a .npy device: uint32 senders,
// float64 values.
func npyDescr(c int) string {
	if c == 0 {
		return "<u4"
	}
	return "<f8"
}

// npyItem is the element size of column c of a .npy device: uint32
// senders, float64 values.
func npyItem(c int) int64 {
	if c == 0 {
		return 4
	}
	return 8
}

// Append appends records: sender[i] (NEST node id) with the values
// cols[c][i] of the device's columns, ordered by time. It flushes every
// file before it returns.
func (w *DeviceWriter) Append(sender []int, cols ...[]float64) error {
	if len(cols) != len(w.dv.Columns) {
		return fmt.Errorf("%d columns for a %s", len(cols), w.dv.Name)
	}
	if w.format == ASCII {
		for i, id := range sender {
			k := w.pops.Of(id)
			if k < 0 {
				return fmt.Errorf("record of node %d outside every population", id)
			}
			line := strconv.AppendInt(w.line[:0], int64(id), 10)
			for c, col := range cols {
				prec := 3
				if c > 0 {
					prec = 6
				}
				line = append(line, '\t')
				line = strconv.AppendFloat(line, col[i], 'f', prec, 64)
			}
			line = append(line, '\n')
			w.bufs[k].Write(line)
			w.size[k] += int64(len(line))
			w.line = line
		}
		return w.sync()
	}
	// NPY: per population, the senders and each column as contiguous
	// little-endian arrays.
	per := make([][]int, len(w.pops.Sizes))
	for i, id := range sender {
		k := w.pops.Of(id)
		if k < 0 {
			return fmt.Errorf("record of node %d outside every population", id)
		}
		per[k] = append(per[k], i)
	}
	for k, idx := range per {
		if len(idx) == 0 {
			continue
		}
		b := make([]byte, 0, 8*len(idx))
		for _, i := range idx {
			b = binary.LittleEndian.AppendUint32(b, uint32(sender[i]))
		}
		if _, err := w.files[k][0].Write(b); err != nil {
			return fmt.Errorf("writing %s: %w", w.dv.FileNames(w.format, k)[0], err)
		}
		for c, col := range cols {
			b = b[:0]
			for _, i := range idx {
				// The values an ASCII file gives when read: times to
				// 0.001 ms, potentials to 10^-6 mV.
				v := col[i]
				if c == 0 {
					v = math.Round(v*1e3) / 1e3
				} else {
					v = math.Round(v*1e6) / 1e6
				}
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
			if _, err := w.files[k][c+1].Write(b); err != nil {
				return fmt.Errorf("writing %s: %w", w.dv.FileNames(w.format, k)[c+1], err)
			}
		}
		w.size[k] += int64(len(idx))
	}
	return w.sync()
}

// sync makes every file complete: ASCII buffers flushed, .npy headers
// counting the records written.
func (w *DeviceWriter) sync() error {
	for k := range w.files {
		if w.format == ASCII {
			if err := w.bufs[k].Flush(); err != nil {
				return fmt.Errorf("writing %s: %w", w.dv.FileNames(w.format, k)[0], err)
			}
			continue
		}
		for c, f := range w.files[k] {
			if _, err := f.WriteAt(npyHeader(npyDescr(c), w.size[k]), 0); err != nil {
				return fmt.Errorf("writing %s: %w", w.dv.FileNames(w.format, k)[c], err)
			}
		}
	}
	return nil
}

// npyHeader returns a version 1.0 .npy header of npyHeaderLen bytes for a
// one-dimensional array of n elements of type descr.
func npyHeader(descr string, n int64) []byte {
	text := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n)
	h := []byte("\x93NUMPY\x01\x00")
	h = binary.LittleEndian.AppendUint16(h, uint16(npyHeaderLen-10))
	h = append(h, text...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// Positions returns, per population, how much has been written: bytes of
// the ASCII file, or records of the .npy arrays; ReopenDeviceWriter
// continues from them.
func (w *DeviceWriter) Positions() []int64 { return append([]int64(nil), w.size...) }

// Close flushes and closes every file.
func (w *DeviceWriter) Close() error {
	var first error
	if w.ready {
		if err := w.sync(); err != nil {
			first = err
		}
	}
	w.ready = false
	for k := range w.files {
		for _, f := range w.files[k] {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	w.files = nil
	return first
}

// CloseAll closes the writers that are not nil and returns the first error.
func CloseAll(ws ...*DeviceWriter) error {
	var first error
	for _, w := range ws {
		if w != nil {
			if err := w.Close(); first == nil {
				first = err
			}
		}
	}
	return first
}

// File is a file being written.
type File interface {
	io.Writer
	io.WriterAt
	io.Closer
}

// openForAppend opens path for writing after its first size bytes, cutting
// off the rest.
func openForAppend(path string, size int64) (File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
