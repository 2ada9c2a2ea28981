module github.com/go-futures/futures

go 1.25
