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
// Application Repository's metadata of template.yaml and of every stack it
// nests (templates/, each published as a nested application) is complete
// and valid, names the licence and README files that exist, the licence is
// Apache-2.0 (the LICENSE file), and the semantic version, the source
// code's tag, the Version output, the stack tags of every samconfig.toml
// environment and openapi.yaml's info are the VERSION file's.
func TestTemplateNamesTheRelease(t *testing.T) {
	v := strings.TrimSpace(string(read(t, filepath.Join(root, "VERSION"))))
	if !strings.Contains(string(read(t, filepath.Join(root, "LICENSE"))), "Apache License\n                           Version 2.0") {
		t.Error("LICENSE is not the Apache License 2.0")
	}

	nested, err := filepath.Glob(filepath.Join(root, "templates", "*.yaml"))
	if err != nil || len(nested) == 0 {
		t.Fatalf("templates/*.yaml: %d files, %v", len(nested), err)
	}
	names := map[string]string{}
	for _, path := range append([]string{filepath.Join(root, "template.yaml")}, nested...) {
		rel, _ := filepath.Rel(root, path)
		name := checkSARMetadata(t, path, v)
		if other, ok := names[name]; ok {
			t.Errorf("%s and %s are both named %q in the Serverless Application Repository", other, rel, name)
		}
		names[name] = rel
	}

	var tmpl struct {
		Outputs map[string]struct {
			Value any `yaml:"Value"`
		} `yaml:"Outputs"`
	}
	if err := yaml.Unmarshal(read(t, filepath.Join(root, "template.yaml")), &tmpl); err != nil {
		t.Fatal(err)
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

// checkSARMetadata reports what sam publish would refuse, or what would not
// be VERSION, in the Metadata: AWS::ServerlessRepo::Application of the
// template at path, and returns the application's name. LicenseUrl and
// ReadmeUrl are paths relative to the template, as sam package resolves
// them.
func checkSARMetadata(t *testing.T, path, v string) string {
	t.Helper()
	rel, _ := filepath.Rel(root, path)
	var tmpl struct {
		Metadata struct {
			App map[string]any `yaml:"AWS::ServerlessRepo::Application"`
		} `yaml:"Metadata"`
	}
	if err := yaml.Unmarshal(read(t, path), &tmpl); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	app := tmpl.Metadata.App
	if app == nil {
		t.Errorf("%s has no Metadata: AWS::ServerlessRepo::Application", rel)
		return ""
	}
	str := func(key string) string {
		s, _ := app[key].(string)
		if strings.TrimSpace(s) == "" {
			t.Errorf("%s: Metadata: AWS::ServerlessRepo::Application has no %s", rel, key)
		}
		return s
	}
	name := str("Name")
	if !sarName.MatchString(name) {
		t.Errorf("%s: Name %q: letters, digits and hyphens, at most 140", rel, name)
	}
	if d := str("Description"); len(d) > 256 {
		t.Errorf("%s: Description: %d characters, at most 256", rel, len(d))
	}
	if a := str("Author"); len(a) > 127 || !sarAuthor.MatchString(a) {
		t.Errorf("%s: Author %q: lower-case letters, digits and single hyphens, at most 127", rel, a)
	}
	if id := str("SpdxLicenseId"); id != "Apache-2.0" {
		t.Errorf("%s: SpdxLicenseId %q, want Apache-2.0", rel, id)
	}
	for _, key := range []string{"LicenseUrl", "ReadmeUrl"} {
		if p := str(key); p != "" {
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), p)); err != nil {
				t.Errorf("%s: %s: %v", rel, key, err)
			}
		}
	}
	for _, key := range []string{"HomePageUrl", "SourceCodeUrl"} {
		if u := str(key); !strings.HasPrefix(u, "https://") {
			t.Errorf("%s: %s %q is no https URL", rel, key, u)
		}
	}
	if u := str("SourceCodeUrl"); !strings.HasSuffix(u, "/tree/v"+v) {
		t.Errorf("%s: SourceCodeUrl %q does not name the release's tag v%s", rel, u, v)
	}
	labels, _ := app["Labels"].([]any)
	if len(labels) == 0 || len(labels) > 10 {
		t.Errorf("%s: Labels: %d, want 1 to 10", rel, len(labels))
	}
	for _, l := range labels {
		if s, _ := l.(string); !sarLabel.MatchString(s) {
			t.Errorf("%s: label %v: at most 127 of letters, digits and +-_:/@", rel, l)
		}
	}
	if got := str("SemanticVersion"); got != v {
		t.Errorf("%s: SemanticVersion %q, want VERSION %q", rel, got, v)
	}
	return name
}
