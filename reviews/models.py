"""The annual duty-report review (述职评议考核)."""
