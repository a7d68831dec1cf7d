package wire

// Protocol generations this project speaks.
const (
	Version20250618 = "2025-06-18" // legacy: initialize handshake
	Version20251125 = "2025-11-25" // legacy: initialize handshake
	Version20260728 = "2026-07-28" // modern: stateless, version in _meta
)

// LegacyVersions lists the handshake generations, newest first.
var LegacyVersions = []string{Version20251125, Version20250618}

// IsModern reports whether v is a stateless (2026-07-28 or later) generation.
func IsModern(v string) bool { return v >= Version20260728 }

// Reserved _meta keys of the 2026-07-28 generation.
const (
	MetaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	MetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	MetaClientInfo         = "io.modelcontextprotocol/clientInfo"
	MetaServerInfo         = "io.modelcontextprotocol/serverInfo"
	MetaLogLevel           = "io.modelcontextprotocol/logLevel"
)

// HTTP headers of Streamable HTTP.
const (
	HeaderSessionID       = "Mcp-Session-Id"
	HeaderProtocolVersion = "MCP-Protocol-Version"
	HeaderMethod          = "Mcp-Method"
	HeaderName            = "Mcp-Name"
)
