"""Hỏi–Đáp Chỉ thị: quote the official answer, with its citation, or say politely there is none."""
