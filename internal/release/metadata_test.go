package release_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The AWS Serverless Application Repository's rules for an application's
// metadata (its CreateApplication API): what sam publish would refuse.
var (
	sarName   = regexp.MustCompile(`^[a-zA-Z0-9-]{1,140}$`)
	sarAuthor = regexp.MustCompile(`^[a-z0-9]([a-z0-9]|-[a-z0-9])*$`)
	sarLabel  = regexp.MustCompile(`^[a-zA-Z0-9+\-_:/@]{1,127}$`)
)

// What the stack says about its release must match VERSION: the Serverless
// Application Repository's metadata is complete and valid, names the
// licence and README files that exist, the licence is Apache-2.0 (the
// LICENSE file), and the semantic version, the source code's tag, the
// Version output, the stack tags of every samconfig.toml environment and
// openapi.yaml's info are the VERSION file's.
func TestTemplateNamesTheRelease(t *testing.T) {
	v := strings.TrimSpace(string(read(t, filepath.Join(root, "VERSION"))))

	var tmpl struct {
		Metadata struct {
			App map[string]any `yaml:"AWS::ServerlessRepo::Application"`
		} `yaml:"Metadata"`
		Outputs map[string]struct {
			Value any `yaml:"Value"`
		} `yaml:"Outputs"`
	}
	if err := yaml.Unmarshal(read(t, filepath.Join(root, "template.yaml")), &tmpl); err != nil {
		t.Fatal(err)
	}
	app := tmpl.Metadata.App
	str := func(key string) string {
		s, _ := app[key].(string)
		if strings.TrimSpace(s) == "" {
			t.Errorf("Metadata: AWS::ServerlessRepo::Application has no %s", key)
		}
		return s
	}
	if name := str("Name"); !sarName.MatchString(name) {
		t.Errorf("Name %q: letters, digits and hyphens, at most 140", name)
	}
	if d := str("Description"); len(d) > 256 {
		t.Errorf("Description: %d characters, at most 256", len(d))
	}
	if a := str("Author"); len(a) > 127 || !sarAuthor.MatchString(a) {
		t.Errorf("Author %q: lower-case letters, digits and single hyphens, at most 127", a)
	}
	if id := str("SpdxLicenseId"); id != "Apache-2.0" {
		t.Errorf("SpdxLicenseId %q, want Apache-2.0", id)
	}
	if !strings.Contains(string(read(t, filepath.Join(root, "LICENSE"))), "Apache License\n                           Version 2.0") {
		t.Error("LICENSE is not the Apache License 2.0")
	}
	for _, key := range []string{"LicenseUrl", "ReadmeUrl"} {
		if p := str(key); p != "" {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		}
	}
	for _, key := range []string{"HomePageUrl", "SourceCodeUrl"} {
		if u := str(key); !strings.HasPrefix(u, "https://") {
			t.Errorf("%s %q is no https URL", key, u)
		}
	}
	if u := str("SourceCodeUrl"); !strings.HasSuffix(u, "/tree/v"+v) {
		t.Errorf("SourceCodeUrl %q does not name the release's tag v%s", u, v)
	}
	labels, _ := app["Labels"].([]any)
	if len(labels) == 0 || len(labels) > 10 {
		t.Errorf("Labels: %d, want 1 to 10", len(labels))
	}
	for _, l := range labels {
		if s, _ := l.(string); !sarLabel.MatchString(s) {
			t.Errorf("label %v: at most 127 of letters, digits and +-_:/@", l)
		}
	}
	if got := str("SemanticVersion"); got != v {
		t.Errorf("SemanticVersion %q, want VERSION %q", got, v)
	}
	if got := tmpl.Outputs["Version"].Value; got != v {
		t.Errorf("the Version output is %v, want VERSION %q", got, v)
	}

	// Each environment's stack tags (samconfig.toml has no other TOML
	// than tables of key = "string").
	envs := regexp.MustCompile(`(?m)^\[(\w+)\.deploy\.parameters\]$`).FindAllStringSubmatch(string(read(t, filepath.Join(root, "samconfig.toml"))), -1)
	tags := regexp.MustCompile(`(?m)^tags = .*version=\\"([^\\"]*)\\"`).FindAllStringSubmatch(string(read(t, filepath.Join(root, "samconfig.toml"))), -1)
	if len(envs) == 0 || len(tags) != len(envs) {
		t.Errorf("samconfig.toml: %d environments, %d with a version tag", len(envs), len(tags))
	}
	for _, m := range tags {
		if m[1] != v {
			t.Errorf("samconfig.toml tags version=%q, want VERSION %q", m[1], v)
		}
	}

	var doc struct {
		Info struct {
			Version string `yaml:"version"`
			License struct {
				Identifier string `yaml:"identifier"`
			} `yaml:"license"`
		} `yaml:"info"`
	}
	if err := yaml.Unmarshal(read(t, filepath.Join(root, "openapi.yaml")), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Version != v || doc.Info.License.Identifier != "Apache-2.0" {
		t.Errorf("openapi.yaml info: version %q, licence %q; want VERSION %q, Apache-2.0", doc.Info.Version, doc.Info.License.Identifier, v)
	}
}
