package dev.locallm.template;

import dev.locallm.error.ModelLoadException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Jinja template into tokens with the whitespace rules that Hugging Face uses for chat templates:
 * {@code trim_blocks} and {@code lstrip_blocks} on, {@code -} and {@code +} modifiers honoured, one trailing
 * newline of the source dropped ({@code keep_trailing_newline} off).
 */
final class TemplateLexer {

    enum Kind { TEXT, VAR_START, VAR_END, BLOCK_START, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String text, int line) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }

        boolean isOp(String t) {
            return is(Kind.OP, t);
        }

        boolean isName(String t) {
            return is(Kind.NAME, t);
        }
    }

    private static final String[] OPERATORS = {
        "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":",
        "(", ")", "[", "]", "{", "}"
    };

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    private boolean stripNextText;

    private TemplateLexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String source) {
        String src = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        TemplateLexer lexer = new TemplateLexer(src);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        while (pos < src.length()) {
            int next = nextTagStart(pos);
            String text = src.substring(pos, next < 0 ? src.length() : next);
            if (next < 0) {
                addText(text, false, false, false);
                pos = src.length();
                break;
            }
            char type = src.charAt(next + 1);
            char modifier = next + 2 < src.length() ? src.charAt(next + 2) : 0;
            boolean stripBefore = modifier == '-';
            boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
            boolean lstrip = type != '{' && modifier != '+' && !stripBefore;
            addText(text, stripBefore, lstrip, lineStarting);
            countLines(pos, next);
            pos = next + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
            switch (type) {
                case '#' -> skipComment();
                case '{' -> lexTag(Kind.VAR_START, Kind.VAR_END, "}}");
                default -> {
                    if (!lexRaw()) {
                        lexTag(Kind.BLOCK_START, Kind.BLOCK_END, "%}");
                    }
                }
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private int nextTagStart(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    private void addText(String text, boolean stripTrailing, boolean lstripLine, boolean lineStarting) {
        if (stripNextText) {
            text = text.stripLeading();
            stripNextText = false;
        }
        if (stripTrailing) {
            text = text.stripTrailing();
        } else if (lstripLine) {
            int nl = text.lastIndexOf('\n');
            String tail = text.substring(nl + 1);
            if ((nl >= 0 || lineStarting) && tail.chars().allMatch(c -> c == ' ' || c == '\t')) {
                text = text.substring(0, nl + 1);
            }
        }
        if (!text.isEmpty()) {
            tokens.add(new Token(Kind.TEXT, text, line));
        }
    }

    private void afterBlockEnd(char modifier) {
        if (modifier == '-') {
            stripNextText = true;
        } else if (modifier != '+') {
            if (src.startsWith("\r\n", pos)) {
                pos += 2;
                line++;
            } else if (src.startsWith("\n", pos)) {
                pos += 1;
                line++;
            }
        }
    }

    private void skipComment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) {
            throw error("unclosed comment");
        }
        char modifier = src.charAt(end - 1);
        countLines(pos, end);
        pos = end + 2;
        afterBlockEnd(modifier == '-' || modifier == '+' ? modifier : 0);
    }

    /** Handles {@code {% raw %}...{% endraw %}}; returns false when the tag is not {@code raw}. */
    private boolean lexRaw() {
        int p = skipSpaces(pos);
        if (!src.startsWith("raw", p)) {
            return false;
        }
        int afterName = p + 3;
        int close = skipSpaces(afterName);
        char modifier = 0;
        if (close < src.length() && (src.charAt(close) == '-' || src.charAt(close) == '+')) {
            modifier = src.charAt(close);
            close++;
        }
        if (!src.startsWith("%}", close)) {
            return false;
        }
        pos = close + 2;
        afterBlockEnd(modifier);
        int end = src.indexOf("endraw", pos);
        int tagStart = end < 0 ? -1 : src.lastIndexOf("{%", end);
        if (end < 0 || tagStart < pos) {
            throw error("unclosed raw block");
        }
        boolean stripBefore = src.charAt(tagStart + 2) == '-';
        addText(src.substring(pos, tagStart), stripBefore, !stripBefore, src.charAt(pos - 1) == '\n');
        countLines(pos, tagStart);
        int endClose = src.indexOf("%}", end);
        if (endClose < 0) {
            throw error("unclosed endraw tag");
        }
        char endModifier = src.charAt(endClose - 1);
        pos = endClose + 2;
        afterBlockEnd(endModifier == '-' || endModifier == '+' ? endModifier : 0);
        return true;
    }

    private int skipSpaces(int p) {
        while (p < src.length() && Character.isWhitespace(src.charAt(p))) {
            p++;
        }
        return p;
    }

    private void lexTag(Kind start, Kind end, String closer) {
        tokens.add(new Token(start, "", line));
        while (true) {
            while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') {
                    line++;
                }
                pos++;
            }
            if (pos >= src.length()) {
                throw error("unclosed tag, expected '" + closer + "'");
            }
            char c = src.charAt(pos);
            if ((c == '-' || c == '+') && src.startsWith(closer, pos + 1)) {
                pos += 3;
                tokens.add(new Token(end, "", line));
                if (end == Kind.BLOCK_END) {
                    afterBlockEnd(c);
                } else if (c == '-') {
                    stripNextText = true;
                }
                return;
            }
            if (src.startsWith(closer, pos)) {
                pos += 2;
                tokens.add(new Token(end, "", line));
                if (end == Kind.BLOCK_END) {
                    afterBlockEnd((char) 0);
                }
                return;
            }
            if (c == '\'' || c == '"') {
                tokens.add(new Token(Kind.STRING, readString(c), line));
            } else if (Character.isDigit(c)) {
                readNumber();
            } else if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Kind.NAME, src.substring(s, pos), line));
            } else {
                readOperator();
            }
        }
    }

    private String readString(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) {
                throw error("unclosed string literal");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\n') {
                line++;
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= src.length()) {
                throw error("unclosed string literal");
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case '0' -> sb.append('\0');
                case '\\', '\'', '"' -> sb.append(e);
                case '\n' -> line++;
                case 'u', 'x' -> {
                    int len = e == 'u' ? 4 : 2;
                    if (pos + len > src.length()) {
                        throw error("bad escape in string literal");
                    }
                    try {
                        sb.append((char) Integer.parseInt(src.substring(pos, pos + len), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad escape in string literal");
                    }
                    pos += len;
                }
                default -> sb.append('\\').append(e);
            }
        }
    }

    private void readNumber() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            } else {
                pos = save;
            }
        }
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(s, pos).replace("_", ""), line));
    }

    private void readOperator() {
        for (String op : OPERATORS) {
            if (src.startsWith(op, pos)) {
                pos += op.length();
                tokens.add(new Token(Kind.OP, op, line));
                return;
            }
        }
        throw error("unexpected character '" + src.charAt(pos) + "'");
    }

    private void countLines(int from, int to) {
        for (int i = from; i < to; i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
    }

    private ModelLoadException error(String message) {
        return new ModelLoadException("chat template syntax error at line " + line + ": " + message);
    }
}
