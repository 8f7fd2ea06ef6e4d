package results

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func stageFiles(t *testing.T, d *Dir, files map[string]string) {
	t.Helper()
	for name, c := range files {
		if err := d.WriteFile(name, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
}

func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".staging-") {
			continue // the staging directory of the commit under test
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

// TestCommitRollsBack makes a move fail in the middle of a commit: the
// earlier results must be back as they were, and Abort must leave nothing.
func TestCommitRollsBack(t *testing.T) {
	dir := t.TempDir()
	d, err := Prepare(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	stageFiles(t, d, map[string]string{"summary.json": "old", "spike_recorder-9-0.dat": "old spikes", "a.png": "old plot"})
	if err := d.Commit("test"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "user.txt"), []byte("user"), 0o644)
	before := contents(t, dir)

	d, err = Prepare(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	stageFiles(t, d, map[string]string{"summary.json": "new", "spike_recorder-9-0.dat": "new spikes", "zz.dat": "new"})
	for fail := 1; fail <= 6; fail++ {
		// The fail-th move fails (the first ones move the earlier files
		// aside, the later ones the new files in).
		calls := 0
		d.rename = func(from, to string) error {
			if calls++; calls == fail {
				return os.ErrPermission
			}
			return os.Rename(from, to)
		}
		if err := d.Commit("test"); err == nil {
			t.Fatalf("move %d failed, and the commit did not", fail)
		}
		if got := contents(t, dir); !maps.Equal(got, before) {
			t.Fatalf("move %d failed: the directory holds %v, before %v", fail, got, before)
		}
	}
	d.Abort()
	if stage, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(stage) != 0 {
		t.Fatalf("Abort left %v", stage)
	}
	if got := contents(t, dir); !maps.Equal(got, before) {
		t.Fatalf("after Abort the directory holds %v, before %v", keys(got), keys(before))
	}
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// TestManifestDecidesWhatIsOld: a directory with a manifest holds exactly
// the files it lists as results; one without is judged by the names runs
// give their files.
func TestManifestDecidesWhatIsOld(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "figure.png"), nil, 0o644)
	if old, _ := Existing(dir); len(old) != 1 {
		t.Fatalf("without a manifest, %v", old)
	}
	d, err := Prepare(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	stageFiles(t, d, map[string]string{"summary.json": "x"})
	if err := d.Commit("test"); err != nil {
		t.Fatal(err)
	}
	old, _ := Existing(dir)
	slices.Sort(old)
	want := []string{filepath.Join(dir, ManifestName), filepath.Join(dir, "summary.json")}
	if !slices.Equal(old, want) {
		t.Fatalf("with a manifest, results are %v, want %v", old, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "figure.png")); err != nil {
		t.Fatal("an --overwrite removed a file the earlier run had not written")
	}
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"files": ["../etc/passwd"]}`), 0o644)
	if _, err := Existing(dir); err == nil {
		t.Fatal("a manifest naming a path outside the directory was accepted")
	}
}
