"""Together's development tools: the launcher and the development identity provider. See libs/devtools/README.md."""
