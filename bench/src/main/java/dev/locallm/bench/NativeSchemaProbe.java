package dev.locallm.bench;

import de.kherud.llama.LlamaModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Child process of {@link SchemaCoverageBench}: feeds schemas (one per line, from an index on) to the binding's
 * {@code jsonSchemaToGrammar} and prints {@code SCHEMA <index> OK|ERROR ...} for each, until done or aborted.
 */
public final class NativeSchemaProbe {
    private NativeSchemaProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<String> schemas = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        for (int i = Integer.parseInt(args[1]); i < schemas.size(); i++) {
            String result;
            try {
                String grammar = LlamaModel.jsonSchemaToGrammar(schemas.get(i));
                result = grammar.isBlank() ? "ERROR empty grammar" : "OK " + grammar.length();
            } catch (RuntimeException e) {
                result = "ERROR " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }
            System.out.println("SCHEMA " + i + " " + result);
            System.out.flush();
        }
        System.exit(0);
    }
}
