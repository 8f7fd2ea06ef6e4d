package results

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/internal/sysinfo"
)

// Metadata says how a data directory was made, like the reference
// package's store_metadata: program and Go versions, the modules the
// program was built with, the machine and the command line.
type Metadata struct {
	Program     string            `json:"program"`
	Version     string            `json:"version"`
	GoVersion   string            `json:"go_version"`
	Module      string            `json:"module"`
	VCS         map[string]string `json:"vcs,omitempty"`
	Modules     map[string]string `json:"modules"`
	CPU         string            `json:"cpu"`
	Cores       int               `json:"cores"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	OS          string            `json:"os"`
	Arch        string            `json:"arch"`
	Hostname    string            `json:"hostname"`
	MemoryBytes int64             `json:"memory_available_bytes"`
	MPI         bool              `json:"mpi_build"`
	Ranks       int               `json:"ranks"`
	Threads     int               `json:"threads_per_rank"`
	CommandLine []string          `json:"command_line"`
	WorkingDir  string            `json:"working_directory"`
	Started     string            `json:"started"`
}

// NewMetadata collects the metadata of this process, started at start, one
// of ranks ranks of threads worker threads each.
func NewMetadata(version string, start time.Time, ranks, threads int) Metadata {
	m := Metadata{
		Program: "microcircuit", Version: version, GoVersion: runtime.Version(),
		Modules: map[string]string{}, CPU: sysinfo.CPUModel(), Cores: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS, Arch: runtime.GOARCH,
		MemoryBytes: sysinfo.AvailableMemory(), CommandLine: os.Args,
		Started: start.UTC().Format(time.RFC3339), MPI: cluster.MPI, Ranks: ranks, Threads: threads,
	}
	m.Hostname, _ = os.Hostname()
	m.WorkingDir, _ = os.Getwd()
	if bi, ok := debug.ReadBuildInfo(); ok {
		m.Module = bi.Main.Path
		if bi.Main.Version != "" {
			m.Modules[bi.Main.Path] = bi.Main.Version
		}
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v += " => " + d.Replace.Path + " " + d.Replace.Version
			}
			m.Modules[d.Path] = v
		}
		for _, s := range bi.Settings {
			if len(s.Key) > 4 && s.Key[:4] == "vcs." {
				if m.VCS == nil {
					m.VCS = map[string]string{}
				}
				m.VCS[s.Key[4:]] = s.Value
			}
		}
	}
	return m
}
