package dev.locallm.bench;

import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which JSON-Schema-Test-Suite schemas (draft 2020-12) each schema-to-grammar compiler handles: LocaLLM's
 * {@link JsonSchemaGrammar}, and llama.cpp's {@code json_schema_to_grammar} through the binding's
 * {@code LlamaModel.jsonSchemaToGrammar}. The binding's runs in child JVMs ({@link NativeSchemaProbe}), since
 * it aborts the process on some schemas; a crash is recorded and the next child continues after it.
 *
 * <p>Usage: {@code bench/run.sh SchemaCoverageBench [suite dir]}.
 */
public final class SchemaCoverageBench {
    private SchemaCoverageBench() {
    }

    public static void main(String[] args) throws Exception {
        Path suite = Path.of(args.length > 0 ? args[0] : "../shared/json-schema-test-suite", "tests", "draft2020-12");
        if (!Files.isDirectory(suite)) {
            suite = Path.of("..", "..", "shared", "json-schema-test-suite", "tests", "draft2020-12");
        }
        List<String> schemas = new ArrayList<>();
        try (Stream<Path> files = Files.list(suite)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                for (JsonNode group : JsonMapper.shared().readTree(Files.readString(f))) {
                    schemas.add(JsonMapper.shared().writeValueAsString(group.get("schema")));
                }
            }
        }
        int ours = 0;
        for (String s : schemas) {
            try {
                JsonSchemaGrammar.compile(JsonSchema.parse(s));
                ours++;
            } catch (UnsupportedSchemaException e) {
                // refused with a named keyword: counted as not handled
            }
        }
        Path input = Files.createTempFile("schemas", ".txt");
        Files.write(input, schemas.stream().map(s -> s.replace("\n", " ")).toList(), StandardCharsets.UTF_8);
        String[] native_ = new String[schemas.size()];
        int next = 0;
        int children = 0;
        while (next < schemas.size()) {
            children++;
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "-Dde.kherud.llama.tmpdir=" + tmp(),
                    NativeSchemaProbe.class.getName(), input.toString(), String.valueOf(next))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("SCHEMA ")) {
                        String[] parts = line.split(" ", 3);
                        native_[Integer.parseInt(parts[1])] = parts[2];
                        next = Integer.parseInt(parts[1]) + 1;
                    }
                }
            }
            int exit = p.waitFor();
            if (next < schemas.size() && exit != 0) {
                native_[next] = "CRASH exit " + exit;
                next++;
            }
        }
        int nativeOk = 0;
        int nativeError = 0;
        int nativeCrash = 0;
        int both = 0;
        for (int i = 0; i < schemas.size(); i++) {
            String result = native_[i] == null ? "CRASH" : native_[i];
            if (result.startsWith("OK")) {
                nativeOk++;
            } else if (result.startsWith("CRASH")) {
                nativeCrash++;
            } else {
                nativeError++;
            }
        }
        for (int i = 0; i < schemas.size(); i++) {
            boolean n = native_[i] != null && native_[i].startsWith("OK");
            boolean o;
            try {
                JsonSchemaGrammar.compile(JsonSchema.parse(schemas.get(i)));
                o = true;
            } catch (UnsupportedSchemaException e) {
                o = false;
            }
            both += n && o ? 1 : 0;
        }
        System.out.printf("JSON-Schema-Test-Suite draft 2020-12: %d schemas%n", schemas.size());
        System.out.printf("| compiler | grammar produced | refused with an error | JVM aborted |%n|---|---:|---:|---:|%n");
        System.out.printf("| LocaLLM JsonSchemaGrammar | %d | %d | 0 |%n", ours, schemas.size() - ours);
        System.out.printf("| llama.cpp b4916 json_schema_to_grammar (binding) | %d | %d | %d |%n", nativeOk, nativeError,
                nativeCrash);
        System.out.printf("both produce a grammar: %d; child JVMs used: %d%n", both, children);
        System.exit(0);
    }

    private static Path tmp() throws IOException {
        return Files.createDirectories(Path.of("target", "binding-tmp")).toAbsolutePath();
    }
}
