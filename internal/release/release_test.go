package release_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/release"
)

const root = "../.."

// The same commit gives the same bytes: make release, run twice into two
// directories, writes identical zips and SHA256SUMS, and each zip holds
// one executable arm64 bootstrap for each function, listed with its
// checksum.
func TestReleaseIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function twice")
	}
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := release.Build(root, dir); err != nil {
			t.Fatal(err)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		want = append(want, filepath.Base(d)+".zip")
	}
	want = append(want, "SHA256SUMS")
	slices.Sort(want)
	if got := names(t, a); !slices.Equal(got, want) {
		t.Fatalf("make release wrote %v, want %v", got, want)
	}
	for _, name := range want {
		x, y := read(t, filepath.Join(a, name)), read(t, filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same commit", name)
		}
	}

	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(read(t, filepath.Join(a, "SHA256SUMS")))), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: bad line %q", line)
		}
		sums[name] = sum
	}
	for _, name := range want {
		if name == "SHA256SUMS" {
			continue
		}
		data := read(t, filepath.Join(a, name))
		if h := sha256.Sum256(data); sums[name] != hex.EncodeToString(h[:]) {
			t.Errorf("SHA256SUMS has %q for %s, want %x", sums[name], name, h)
		}
		checkZip(t, name, data)
	}
}

// checkZip: one entry, bootstrap, executable, a Linux arm64 ELF (what
// Lambda's provided.al2023 runtime on arm64 runs).
func checkZip(t *testing.T, name string, data []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("%s: want one entry bootstrap, mode 0755: %v", name, zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s: bootstrap is no ELF: %v", name, err)
	}
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE {
		t.Errorf("%s: bootstrap is %v/%v, want a Linux arm64 binary", name, f.Machine, f.OSABI)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: bootstrap is not stripped", name)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
