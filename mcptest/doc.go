// Package mcptest owns the reference MCP server: the embedded default target
// of every suite, served over newline-delimited TCP, stdio and Streamable
// HTTP in both protocol generations, with fault hooks that only the process
// that started it can set. StartServer runs it in its own process and returns
// a ready target, as httptest.NewServer does for HTTP.
package mcptest
