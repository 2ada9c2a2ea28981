package futures_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMECodeIsChecked checks that every Go block of the README is kept,
// verbatim, in internal/readme: a program as quickstart/main.go, a fragment
// in a function body of readme.go. There go vet and staticcheck check it,
// and the build compiles it, as CI runs them on ./....
func TestREADMECodeIsChecked(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	fragments, err := os.ReadFile("internal/readme/readme.go")
	require.NoError(t, err)
	program, err := os.ReadFile("internal/readme/quickstart/main.go")
	require.NoError(t, err)

	blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```\n").FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		code := b[1]
		if strings.HasPrefix(code, "package ") {
			assert.Equal(t, string(program), code, "the README's program differs from internal/readme/quickstart/main.go")
			continue
		}
		var indented strings.Builder
		for line := range strings.Lines(code) {
			if line != "\n" {
				indented.WriteString("\t")
			}
			indented.WriteString(line)
		}
		assert.Contains(t, string(fragments), indented.String(), "a README block is not in internal/readme/readme.go")
	}
}
