package dev.locallm.engine.toolcall;

/** Finds where a JSON value ends in text, without parsing it: brackets balanced outside strings. */
final class JsonScanner {
    private JsonScanner() {
    }

    /** The index after the value starting at {@code start}, or -1 when the text ends first. */
    static int valueEnd(String s, int start) {
        char first = s.charAt(start);
        if (first != '{' && first != '[' && first != '"') {
            int i = start;
            while (i < s.length() && ",}] \n\r\t".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            return i < s.length() ? i : -1;
        }
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    return i + 1;
                }
            }
        }
        return -1;
    }
}
