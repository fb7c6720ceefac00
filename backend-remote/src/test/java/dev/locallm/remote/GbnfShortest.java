package dev.locallm.remote;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shortest string a GBNF grammar (as LocaLLM writes it: rules of alternatives of literals, character
 * classes and rule names) derives from {@code root}. Lets the llama-server and text-generation-webui fixtures
 * answer with text that obeys the grammar LocaLLM sent, as those servers would.
 */
final class GbnfShortest {
    private GbnfShortest() {
    }

    /** One element of a sequence: a literal, a class (its first member), or a rule name. */
    private record Item(String text, String rule) { }

    static String of(String gbnf) {
        Map<String, List<List<Item>>> rules = new HashMap<>();
        for (String line : gbnf.split("\n")) {
            int at = line.indexOf(" ::= ");
            if (at < 0) {
                continue;
            }
            rules.put(line.substring(0, at), alternatives(line.substring(at + 5)));
        }
        Map<String, String> best = new HashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Map.Entry<String, List<List<Item>>> rule : rules.entrySet()) {
                for (List<Item> sequence : rule.getValue()) {
                    StringBuilder s = new StringBuilder();
                    boolean complete = true;
                    for (Item item : sequence) {
                        String part = item.rule() == null ? item.text() : best.get(item.rule());
                        if (part == null) {
                            complete = false;
                            break;
                        }
                        s.append(part);
                    }
                    String current = best.get(rule.getKey());
                    if (complete && (current == null || s.length() < current.length())) {
                        best.put(rule.getKey(), s.toString());
                        changed = true;
                    }
                }
            }
        }
        return best.get("root");
    }

    private static List<List<Item>> alternatives(String body) {
        List<List<Item>> alternatives = new ArrayList<>();
        List<Item> sequence = new ArrayList<>();
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == ' ') {
                i++;
            } else if (c == '|') {
                alternatives.add(sequence);
                sequence = new ArrayList<>();
                i++;
            } else if (c == '"') {
                StringBuilder text = new StringBuilder();
                i++;
                while (body.charAt(i) != '"') {
                    i = unescape(body, i, text);
                }
                i++;
                sequence.add(new Item(text.toString(), null));
            } else if (c == '[') {
                i++;
                boolean negated = body.charAt(i) == '^';
                if (negated) {
                    i++;
                }
                StringBuilder first = new StringBuilder();
                unescape(body, i, first);
                while (body.charAt(i) != ']') {
                    i = body.charAt(i) == '\\' ? unescape(body, i, new StringBuilder()) : i + 1;
                }
                i++;
                sequence.add(new Item(negated ? "a" : first.toString(), null));
            } else {
                int end = i;
                while (end < body.length() && body.charAt(end) != ' ') {
                    end++;
                }
                sequence.add(new Item(null, body.substring(i, end)));
                i = end;
            }
        }
        alternatives.add(sequence);
        return alternatives;
    }

    /** Reads one (possibly escaped) character at {@code i} into {@code out}; returns the index after it. */
    private static int unescape(String s, int i, StringBuilder out) {
        if (s.charAt(i) != '\\') {
            out.append(s.charAt(i));
            return i + 1;
        }
        char e = s.charAt(i + 1);
        switch (e) {
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'x' -> {
                out.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                return i + 4;
            }
            case 'u' -> {
                out.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 6), 16));
                return i + 6;
            }
            case 'U' -> {
                out.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 10), 16));
                return i + 10;
            }
            default -> out.append(e);
        }
        return i + 2;
    }
}
