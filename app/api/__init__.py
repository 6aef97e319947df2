"""HTTP and WebSocket API v1 (../shared/reference/api-v1.md): one router per resource."""
