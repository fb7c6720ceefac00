package dev.locallm.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows of ARCHITECTURE.md, checked on the main classes of every module: modules depend only on the modules
 * below them, the user API and SPI on nothing but themselves, no package is split over two modules, and no
 * package takes part in a cycle.
 */
class ArchitectureTest {
    /** What each module may use of the others. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("core", Set.of()),
            Map.entry("template", Set.of("core")),
            Map.entry("engine", Set.of("core")),
            Map.entry("openai", Set.of("core")),
            Map.entry("testkit", Set.of("core")),
            Map.entry("backend-llamacpp", Set.of("core", "engine", "template")),
            Map.entry("backend-remote", Set.of("core", "engine", "openai")),
            Map.entry("backend-onnx", Set.of("core", "engine", "template")),
            Map.entry("hub", Set.of("core")),
            Map.entry("batch", Set.of("core", "openai")),
            Map.entry("langchain4j", Set.of("core")),
            Map.entry("spring-ai", Set.of("core")),
            Map.entry("spring-boot-starter", Set.of("core", "server", "langchain4j", "spring-ai")),
            Map.entry("server", Set.of("core", "openai")),
            Map.entry("cli", Set.of("core", "openai", "server", "backend-llamacpp", "backend-onnx", "backend-remote",
                    "hub", "batch")));
    /** The packages of the user API and the SPI: they use nothing of LocaLLM outside themselves. */
    private static final Set<String> API_AND_SPI = Set.of("dev.locallm.error", "dev.locallm.schema",
            "dev.locallm.tool", "dev.locallm.chat", "dev.locallm.stream", "dev.locallm.spi");
    private static final Pattern MODULE = Pattern.compile(
            "(?:/([a-z0-9-]+)/target/classes/|/locallm-([a-z0-9-]+?)-\\d[^/]*\\.jar)");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(location -> !location.contains("/test-classes/") && !location.contains("-tests.jar"))
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.locallm");
        assertThat(classes.stream().map(ArchitectureTest::module).distinct()).as("modules found")
                .containsAll(ALLOWED.keySet());
    }

    /** The module a class comes from, by where its class file is: a module's build folder or its jar. */
    static String module(JavaClass c) {
        String uri = c.getSource().map(s -> s.getUri().toString()).orElse("");
        Matcher m = MODULE.matcher(uri);
        if (!m.find()) {
            throw new IllegalStateException("no module for " + c.getName() + " at " + uri);
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    @Test
    void modulesDependOnlyOnTheModulesBelowThem() {
        Set<String> violations = new TreeSet<>();
        for (JavaClass c : classes) {
            String from = module(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass();
                if (!target.getPackageName().startsWith("dev.locallm") || target.getSource().isEmpty()) {
                    continue;
                }
                String to = module(target);
                if (!to.equals(from) && !ALLOWED.getOrDefault(from, Set.of()).contains(to)) {
                    violations.add(from + " -> " + to + ": " + d.getDescription());
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void theUserApiAndTheSpiDependOnNothingBelowThem() {
        Set<String> violations = new TreeSet<>();
        for (JavaClass c : classes) {
            if (!API_AND_SPI.contains(c.getPackageName())) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.startsWith("dev.locallm") && !API_AND_SPI.contains(target)) {
                    violations.add(d.getDescription());
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void noPackageIsSplitOverTwoModules() {
        Map<String, Set<String>> modules = new TreeMap<>();
        classes.forEach(c -> modules.computeIfAbsent(c.getPackageName(), p -> new TreeSet<>()).add(module(c)));
        assertThat(modules).allSatisfy((pkg, in) -> assertThat(in).as(pkg).hasSize(1));
    }

    @Test
    void noPackageCycles() {
        slices().assignedFrom(new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                return javaClass.getPackageName().startsWith("dev.locallm")
                        ? SliceIdentifier.of(javaClass.getPackageName()) : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "packages of dev.locallm";
            }
        }).should().beFreeOfCycles().check(classes);
    }
}
