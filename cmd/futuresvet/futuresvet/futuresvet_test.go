package futuresvet_test

import (
	"testing"

	"github.com/go-futures/futures/cmd/futuresvet/futuresvet"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), futuresvet.Analyzer, "a")
}
