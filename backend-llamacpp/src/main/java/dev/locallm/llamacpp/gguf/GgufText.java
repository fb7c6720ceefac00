package dev.locallm.llamacpp.gguf;

/**
 * Text read from a GGUF file (keys, tensor names, {@code general.name}, the architecture) as messages and logs
 * show it: in single quotes, cut to {@value #MAX_SHOWN} characters with the full length said, and every control,
 * format or invalid character escaped as {@code \\uXXXX}, so a corrupted or hostile file can neither flood a
 * terminal nor write escape sequences to it. Stateless.
 */
public final class GgufText {
    /** The most characters of a name shown. */
    public static final int MAX_SHOWN = 64;

    private GgufText() {
    }

    /** {@code text} quoted, cut and escaped for a message. */
    public static String quoted(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_SHOWN) + 16).append('\'');
        int shown = 0;
        for (int i = 0; i < text.length() && shown < MAX_SHOWN; i++, shown++) {
            char c = text.charAt(i);
            int type = Character.getType(c);
            boolean printable = !Character.isISOControl(c) && !Character.isSurrogate(c) && c != '\'' && c != '\\'
                    && type != Character.FORMAT && type != Character.UNASSIGNED && type != Character.LINE_SEPARATOR
                    && type != Character.PARAGRAPH_SEPARATOR;
            if (printable) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('\'');
        if (text.length() > MAX_SHOWN) {
            out.append(" (cut; ").append(text.length()).append(" characters)");
        }
        return out.toString();
    }
}
