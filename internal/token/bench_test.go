package token

import "testing"

func BenchmarkGenerate(b *testing.B) {
	f := mustFormat(b, DefaultPrefix)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Generate(testTag); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseValid(b *testing.B) {
	f := mustFormat(b, DefaultPrefix)
	raw, _, _ := f.Generate(testTag)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMalformed(b *testing.B) {
	f := mustFormat(b, DefaultPrefix)
	raw, _, _ := f.Generate(testTag)
	bad := raw[:len(raw)-1] + "!"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Parse(bad); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkParseBadChecksum(b *testing.B) {
	f := mustFormat(b, DefaultPrefix)
	raw, _, _ := f.Generate(testTag)
	bad := raw[:len(raw)-1] + string(rune(raw[len(raw)-1]^1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Parse(bad); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	f := mustFormat(b, DefaultPrefix)
	_, p, _ := f.Generate(testTag)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Digest()
	}
}
