// Package testref locates the NEST reference data (../shared/reference
// beside the checkout) for tests.
package testref

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the path of the reference entry name (a file or directory in
// shared/reference). Without it a test is skipped, except under CI (the
// CI environment variable set), where the data must be present.
func Dir(t testing.TB, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "reference")
	p := filepath.Join(root, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference data missing under CI: %v", err)
		}
		t.Skipf("reference data not found: %v", err)
	}
	return p
}
