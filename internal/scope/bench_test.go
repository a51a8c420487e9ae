package scope

import "testing"

// BenchmarkRequired is the path check and catalog lookup each decision
// makes: a plain path, and one with percent-encoded UTF-8.
func BenchmarkRequired(b *testing.B) {
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/api/crm/contacts/7", "/api/crm/contacts/M%C3%BCller%20GmbH"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.Required("GET", path); !ok {
					b.Fatal(path)
				}
			}
		})
	}
}
