package leak_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/token"
)

// scannerRules are the regular expressions of the published detection
// rules (infra/scanners, shown in docs/leaks.md), read from the files.
func scannerRules(t *testing.T) map[string]*regexp.Regexp {
	t.Helper()
	dir := filepath.Join("..", "..", "infra", "scanners")
	raw, err := os.ReadFile(filepath.Join(dir, "gitleaks.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^regex = '''(.+)'''$`).FindAllStringSubmatch(string(raw), -1)
	if len(m) != 1 {
		t.Fatalf("gitleaks.toml: %d regex lines, want 1", len(m))
	}
	rules := map[string]*regexp.Regexp{"gitleaks": regexp.MustCompile(m[0][1])}
	raw, err = os.ReadFile(filepath.Join(dir, "trufflehog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var th struct {
		Detectors []struct {
			Name     string            `yaml:"name"`
			Keywords []string          `yaml:"keywords"`
			Regex    map[string]string `yaml:"regex"`
		} `yaml:"detectors"`
	}
	if err := yaml.Unmarshal(raw, &th); err != nil {
		t.Fatalf("trufflehog.yaml: %v", err)
	}
	if len(th.Detectors) != 1 || len(th.Detectors[0].Regex) != 1 || !slices.Equal(th.Detectors[0].Keywords, []string{"pat_"}) {
		t.Fatalf("trufflehog.yaml: want one detector with one regex and the keyword pat_: %+v", th.Detectors)
	}
	for _, re := range th.Detectors[0].Regex {
		rules["trufflehog"] = regexp.MustCompile(re)
	}
	return rules
}

// The published rules find every real token wherever it is written, and
// nothing that is not one; the checksum, which no rule can express, is
// checked by the service's parser (the leak endpoint's first step) and by
// infra/scanners/checksum.py, which the docs give scanners' users.
func TestScannerRules(t *testing.T) {
	format, err := token.NewFormat(token.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	rules := scannerRules(t)
	for name, re := range rules {
		// The rule is the format's published pattern, with the token as its group.
		if got := strings.Replace(strings.Replace(re.String(), `\b(`, `\b`, 1), `)\b`, `\b`, 1); got != format.Pattern() {
			t.Errorf("%s: regex %s is not the token's pattern %s", name, re, format.Pattern())
		}
	}
	var real []string
	for range 50 {
		tok, _, err := format.Generate(token.OwnerTag("user-scanner-test"))
		if err != nil {
			t.Fatal(err)
		}
		real = append(real, tok)
	}
	contexts := []string{"%s", "TOKEN=%s\n", "Authorization: Bearer %s", `{"token":"%s"}`, "export PAT='%s';", "https://api.example.com/x?token=%s&y=1", "`%s`"}
	flip := func(c byte) string {
		if c == 'A' {
			return "B"
		}
		return "A"
	}
	tok := real[0]
	nearMisses := map[string]string{
		"another prefix":         "pax" + tok[3:],
		"upper-case prefix":      "PAT" + tok[3:],
		"truncated":              tok[:len(tok)-1],
		"an extra character":     tok + "x",
		"inside a longer word":   "xyz" + tok,
		"id one character short": tok[:4+28] + tok[4+29:],
		"no second underscore":   tok[:4+29] + tok[4+29+1:],
		"a character not base62": tok[:40] + "-" + tok[41:],
	}
	for name, re := range rules {
		t.Run(name, func(t *testing.T) {
			for _, tok := range real {
				for _, c := range contexts {
					text := strings.Replace(c, "%s", tok, 1)
					got := re.FindAllStringSubmatch(text, -1)
					if len(got) != 1 || got[0][1] != tok {
						t.Fatalf("%q: found %q, want the token", text, got)
					}
				}
			}
			for miss, s := range nearMisses {
				for _, c := range contexts {
					text := strings.Replace(c, "%s", s, 1)
					if got := re.FindAllString(text, -1); len(got) > 0 {
						t.Errorf("%s: %q matches %q", miss, text, got)
					}
				}
			}
			// A bad checksum has the shape: the rule finds it, the checksum
			// check refuses it.
			bad := tok[:len(tok)-1] + flip(tok[len(tok)-1])
			if !re.MatchString(bad) {
				t.Errorf("a token with a bad checksum is not found: the regex checks more than the shape")
			}
			if _, err := format.Parse(bad); err == nil {
				t.Errorf("the service accepts a bad checksum")
			}
		})
	}

	// The docs' checksum check keeps the real tokens and drops the rest.
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: infra/scanners/checksum.py is not run")
	}
	var in []string
	in = append(in, real...)
	for _, tok := range real[:10] {
		in = append(in, tok[:len(tok)-1]+flip(tok[len(tok)-1]), tok[:len(tok)-7]+flip(tok[len(tok)-7])+tok[len(tok)-6:], tok[:len(tok)-1])
	}
	cmd := exec.Command("python3", filepath.Join("..", "..", "infra", "scanners", "checksum.py"))
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("checksum.py: %v", err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, real) {
		t.Errorf("checksum.py kept %d of %d candidates, want exactly the %d real tokens", len(got), len(in), len(real))
	}
}
