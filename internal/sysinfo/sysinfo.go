// Package sysinfo reads facts about the process and the machine.
package sysinfo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// PeakRSS returns the peak resident set size of this process in bytes
// (VmHWM), or 0 where the system does not report it.
func PeakRSS() int64 {
	return statusKB("VmHWM:") * 1024
}

func statusKB(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, key) {
			fields := strings.Fields(line[len(key):])
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// CPUModel returns the processor's model name, or "".
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// AvailableMemory returns the memory available for a new process in bytes
// (MemAvailable of /proc/meminfo), or 0 where it is unknown.
func AvailableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemAvailable" {
			fields := strings.Fields(v)
			if len(fields) > 0 {
				kb, _ := strconv.ParseInt(fields[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// ResetPeakRSS makes the peak resident set size (PeakRSS) start again
// from the current one (Linux: /proc/self/clear_refs), and reports
// whether it could.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// Cache is one CPU cache of the first core.
type Cache struct {
	Level int    `json:"level"`
	Type  string `json:"type"`  // Data, Instruction or Unified
	Bytes int64  `json:"bytes"` // size
	// SharedWith lists the CPUs that share the cache, as the system
	// writes it ("0-1").
	SharedWith string `json:"shared_cpu_list"`
}

// String writes the cache as "L2 2 MiB".
func (c Cache) String() string {
	kind := ""
	switch c.Type {
	case "Data":
		kind = "d"
	case "Instruction":
		kind = "i"
	}
	size := fmt.Sprintf("%d KiB", c.Bytes>>10)
	if c.Bytes >= 1<<20 && c.Bytes%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", c.Bytes>>20)
	}
	return fmt.Sprintf("L%d%s %s", c.Level, kind, size)
}

// Caches returns the caches of the first CPU as the system describes them
// (/sys/devices/system/cpu/cpu0/cache), from level 1 up; nil where it does
// not.
func Caches() []Cache {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu0/cache/index*")
	var out []Cache
	for _, d := range dirs {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(d, name))
			return strings.TrimSpace(string(b))
		}
		level, err := strconv.Atoi(read("level"))
		if err != nil {
			continue
		}
		size := read("size") // such as 2048K
		mult := int64(1)
		switch {
		case strings.HasSuffix(size, "K"):
			mult, size = 1<<10, strings.TrimSuffix(size, "K")
		case strings.HasSuffix(size, "M"):
			mult, size = 1<<20, strings.TrimSuffix(size, "M")
		}
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Cache{Level: level, Type: read("type"), Bytes: n * mult, SharedWith: read("shared_cpu_list")})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level < out[j].Level
		}
		return out[i].Type < out[j].Type
	})
	return out
}
