"""Message templates (zh-CN, en) and their rendering."""
