package token

import (
	"bytes"
	"crypto/rand"
	"errors"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"
)

var testTag = OwnerTag("user-1")

func TestOwnerTag(t *testing.T) {
	a, b := OwnerTag("alice"), OwnerTag("bob")
	if len(a) != OwnerTagLen || !allBase62(a) || a == b || a != OwnerTag("alice") {
		t.Fatalf("OwnerTag: %q, %q", a, b)
	}
	f := mustFormat(t, DefaultPrefix)
	raw, p, err := f.Generate(a)
	if err != nil || p.OwnerTag() != a || !strings.HasPrefix(raw, "pat_"+a) {
		t.Fatalf("token %v does not carry its owner tag", err)
	}
	if _, _, err := f.Generate("short"); err == nil {
		t.Fatal("Generate accepted a bad owner tag")
	}
}

func mustFormat(tb testing.TB, prefix string) *Format {
	tb.Helper()
	f, err := NewFormat(prefix)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestGenerateParseRoundTrip(t *testing.T) {
	f := mustFormat(t, DefaultPrefix)
	re := regexp.MustCompile(f.Pattern())
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		raw, gen, err := f.Generate(testTag)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != f.Len() || !strings.HasPrefix(raw, "pat_") {
			t.Fatalf("token %d has shape %d/%q", i, len(raw), raw[:4])
		}
		if !re.MatchString("export TOKEN=" + raw + "\n") {
			t.Fatalf("published pattern does not find a generated token")
		}
		p, err := f.Parse(raw)
		if err != nil {
			t.Fatalf("parse generated token: %v", err)
		}
		if p.ID != gen.ID || !ValidID(p.ID) || p.Digest() != gen.Digest() {
			t.Fatalf("parsed token differs from generated one")
		}
		if seen[p.ID] {
			t.Fatalf("duplicate id after %d tokens", i)
		}
		seen[p.ID] = true
	}
}

func TestParseRejects(t *testing.T) {
	f := mustFormat(t, DefaultPrefix)
	raw, _, err := f.Generate(testTag)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(raw)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":            "",
		"prefix only":      "pat_",
		"wrong prefix":     "ghp" + raw[3:],
		"truncated":        raw[:len(raw)-1],
		"extra character":  raw + "a",
		"secret changed":   flip(30),
		"id changed":       flip(5),
		"checksum changed": flip(len(raw) - 1),
		"bad alphabet":     raw[:10] + "-" + raw[11:],
		"separator moved":  raw[:4] + raw[5:22] + "_" + raw[22:],
		"bearer included":  "Bearer " + raw[7:],
		"uppercase prefix": "PAT" + raw[3:],
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := f.Parse(s); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse accepted %s: err=%v", name, err)
			}
		})
	}
}

func TestPrefixConfigurable(t *testing.T) {
	f := mustFormat(t, "acme")
	raw, _, err := f.Generate(testTag)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "acme_") {
		t.Fatalf("token %q... lacks prefix", raw[:5])
	}
	if _, err := mustFormat(t, DefaultPrefix).Parse(raw); err == nil {
		t.Fatal("a token with another prefix was accepted")
	}
	for _, bad := range []string{"", "a", "Pat", "p_t", "1pat", "averyveryverylongprefix"} {
		if _, err := NewFormat(bad); err == nil {
			t.Errorf("NewFormat(%q) accepted", bad)
		}
	}
}

func TestGenerateFailsWithoutRandomness(t *testing.T) {
	f := mustFormat(t, DefaultPrefix)
	f.Rand = bytes.NewReader(nil)
	if _, _, err := f.Generate(testTag); err == nil {
		t.Fatal("Generate succeeded without randomness")
	}
}

// Every base62 character should appear about equally often in secrets.
func TestSecretCharactersUniform(t *testing.T) {
	f := mustFormat(t, DefaultPrefix)
	f.Rand = rand.Reader
	counts := map[byte]int{}
	total := 0
	for i := 0; i < 2000; i++ {
		raw, _, err := f.Generate(testTag)
		if err != nil {
			t.Fatal(err)
		}
		secret := raw[len(raw)-ChecksumLen-SecretLen : len(raw)-ChecksumLen]
		for j := 0; j < len(secret); j++ {
			counts[secret[j]]++
			total++
		}
	}
	want := float64(total) / 62
	for c, n := range counts {
		if float64(n) < want*0.85 || float64(n) > want*1.15 {
			t.Errorf("character %q appears %d times, want about %.0f", c, n, want)
		}
	}
	if len(counts) != 62 {
		t.Errorf("secrets use %d distinct characters, want 62", len(counts))
	}
}

func TestDigestEqual(t *testing.T) {
	f := mustFormat(t, DefaultPrefix)
	raw, p, _ := f.Generate(testTag)
	d := p.Digest()
	if !d.Equal(d[:]) {
		t.Fatal("digest not equal to itself")
	}
	other, _ := f.Parse(raw)
	od := other.Digest()
	od[0] ^= 1
	if d.Equal(od[:]) || d.Equal(nil) {
		t.Fatal("different digests compared equal")
	}
}

func FuzzParse(f *testing.F) {
	format := mustFormat(f, DefaultPrefix)
	raw, _, _ := format.Generate(testTag)
	f.Add(raw)
	f.Add("")
	f.Add("pat_")
	f.Add(raw[:len(raw)-1] + "0")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := format.Parse(s)
		if err != nil {
			return
		}
		// Anything accepted must have the published shape and a valid id.
		if !regexp.MustCompile("^"+format.Pattern()[2:len(format.Pattern())-2]+"$").MatchString(s) || !ValidID(p.ID) {
			t.Fatalf("Parse accepted %q, which does not match the published pattern", s)
		}
	})
}

func TestCRC32StringMatchesStdlib(t *testing.T) {
	for _, s := range []string{"", "a", "pat_abc", strings.Repeat("xyz", 40)} {
		if got, want := crc32String(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Errorf("crc32String(%q) = %x, want %x", s, got, want)
		}
	}
}
