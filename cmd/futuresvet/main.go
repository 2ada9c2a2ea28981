// Command futuresvet reports the mistakes with github.com/go-futures/futures
// that compile and then hang: see package futuresvet for what it reports.
//
// Run it on its own,
//
//	go run github.com/go-futures/futures/cmd/futuresvet@latest ./...
//
// or through go vet:
//
//	go install github.com/go-futures/futures/cmd/futuresvet@latest
//	go vet -vettool=$(command -v futuresvet) ./...
package main

import (
	"github.com/go-futures/futures/cmd/futuresvet/futuresvet"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() { singlechecker.Main(futuresvet.Analyzer) }
