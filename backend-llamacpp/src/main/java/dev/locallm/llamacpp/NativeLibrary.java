package dev.locallm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.args.LogFormat;
import dev.locallm.error.BackendUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Loads the binding's native library once per JVM, quietly and from a private directory.
 *
 * <p>Left alone, {@code de.kherud:llama} prints to stdout, unpacks its library into the shared temporary
 * directory, and at start-up deletes every file there whose name starts with {@code llama} or
 * {@code jllama}. LocaLLM instead unpacks the library into {@code <java.io.tmpdir>/locallm-<user>/} (owner-only
 * permissions where the file system has them), in {@code native-<variant>-<hash>/} for a packaged library and
 * {@code native-<binding version>-<hash>/} for the binding's own (the hash of the library's bytes keeps versions
 * apart; a file already there is used only if its SHA-256 matches), points the binding's temporary directory at an
 * empty private folder, and routes native logging to SLF4J.
 *
 * <p>Which library, first found first: the directory named by {@value #LIBRARY_PATH_PROPERTY} (or the binding's
 * own {@code de.kherud.llama.lib.path}); else a {@code locallm-llamacpp-native} jar on the classpath for this
 * platform and CPU (the first of {@link PackagedLibrary#candidates}; {@value PackagedLibrary#VARIANT_PROPERTY}
 * picks one); else the generic CPU library bundled in the binding's jar. A chosen library that does not load (a GPU
 * build without its driver) is a {@link BackendUnavailableException}, not the binding's silent fallback.
 * {@value #NATIVE_DIR_PROPERTY} moves LocaLLM's
 * private directory. The library loaded is logged once at INFO with its {@link NativeLibraryInfo#summary()}.
 */
final class NativeLibrary {
    static final String LIBRARY_PATH_PROPERTY = "locallm.llamacpp.library.path";
    static final String NATIVE_DIR_PROPERTY = "locallm.native.dir";
    private static final String BINDING_LIB_PATH = "de.kherud.llama.lib.path";
    private static final String BINDING_TMP_DIR = "de.kherud.llama.tmpdir";
    /** The llama.cpp release and commit inside de.kherud:llama 4.2.0. */
    private static final String STOCK_LLAMA_CPP = "b4916";
    private static final String STOCK_LLAMA_CPP_COMMIT = "c6af2161b200284d55633cf184a07406ca89908e";
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    private static volatile boolean loaded;
    private static volatile NativeLibraryInfo info;
    private static NativeLibraryInfo.Origin origin;
    private static Path location;
    private static PackagedLibrary packaged;

    private NativeLibrary() {
    }

    /** Loads the library if not done yet. Thread-safe. */
    static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (NativeLibrary.class) {
            if (loaded) {
                return;
            }
            try {
                prepare();
                LlamaModel.setLogger(LogFormat.TEXT, new NativeLogBridge());
                checkTheBindingUsedIt(bindingTmp());
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                throw new BackendUnavailableException("The llama.cpp native library failed to load (" + location
                        + "): " + e.getMessage() + ". " + (packaged != null ? "The " + packaged.variant()
                        + " library may need libraries this machine lacks (the CUDA runtime for cuda, the Vulkan "
                        + "loader for vulkan); pick another with -D" + PackagedLibrary.VARIANT_PROPERTY
                        + "=<variant>, or 'stock' for the binding's own." : "Supply a build of de.kherud:llama "
                        + version() + " for " + platform() + " and point -D" + LIBRARY_PATH_PROPERTY
                        + " at its directory."), e);
            }
            info = describe();
            loaded = true;
            LOG.info("llama.cpp native library: {}", info.summary());
            info.devices().stream().filter(NativeLibraryInfo.Device::isSoftwareGpu).forEach(d -> LOG.warn("{} ({}) "
                    + "is a software GPU running on the CPU: llama.cpp sends prompts of 32 tokens or more through "
                    + "it even without gpuLayers, which is slower than its CPU backend. Where there is no real GPU, "
                    + "use the cpu variant, or hide the device (GGML_VK_VISIBLE_DEVICES set to the empty string)",
                    d.name(), d.description()));
        }
    }

    /** Re-installs the SLF4J log bridge; loading a model replaces llama.cpp's log callback. */
    static void reinstallLogBridge() {
        LlamaModel.setLogger(LogFormat.TEXT, new NativeLogBridge());
    }

    /**
     * Whether the library loaded is one LocaLLM built (without OpenMP, with thread pools kept between tokens);
     * false while none is loaded.
     */
    static boolean isLocalLmBuild() {
        NativeLibraryInfo current = info;
        return current != null && current.origin() != NativeLibraryInfo.Origin.BINDING_JAR
                && !current.variant().equals("unknown");
    }

    /** The library in use, loading it first if needed. */
    static NativeLibraryInfo info() {
        ensureLoaded();
        return info;
    }

    private static void prepare() {
        Path base = privateDirectory();
        createPrivateDirectory(base);
        createPrivateDirectory(base.resolve("binding-tmp"));
        Path bindingTmp = bindingTmp();
        createPrivateDirectory(bindingTmp);
        System.setProperty(BINDING_TMP_DIR, bindingTmp.toString());

        String supplied = System.getProperty(LIBRARY_PATH_PROPERTY, System.getProperty(BINDING_LIB_PATH, ""));
        if (!supplied.isBlank()) {
            Path dir = Path.of(supplied);
            Path lib = dir.resolve(System.mapLibraryName("jllama")).toAbsolutePath();
            if (!Files.isRegularFile(lib)) {
                throw new BackendUnavailableException("-D" + LIBRARY_PATH_PROPERTY + " points at " + dir.toAbsolutePath()
                        + ", which holds no " + lib.getFileName());
            }
            use(NativeLibraryInfo.Origin.SUPPLIED_PATH, lib, null);
            return;
        }
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        String wanted = System.getProperty(PackagedLibrary.VARIANT_PROPERTY, "").strip();
        List<PackagedLibrary> candidates = PackagedLibrary.candidates(PackagedLibrary.find(loader),
                PackagedLibrary.currentPlatform(), PackagedLibrary.currentCpuFlags(), wanted);
        if (!candidates.isEmpty()) {
            PackagedLibrary chosen = candidates.get(0);
            use(NativeLibraryInfo.Origin.LOCALLM_NATIVE_JAR, unpack(loader, chosen, base), chosen);
            return;
        }
        String resource = "de/kherud/llama/" + platform() + "/" + System.mapLibraryName("jllama");
        byte[] bytes = read(LlamaModel.class.getClassLoader(), resource);
        String sha = sha256(bytes);
        Path dir = base.resolve("native-" + version() + "-" + sha.substring(0, 16));
        createPrivateDirectory(dir);
        Path lib = dir.resolve(System.mapLibraryName("jllama"));
        if (!sha.equals(sha256(lib))) {
            writeAtomically(lib, bytes);
        }
        use(NativeLibraryInfo.Origin.BINDING_JAR, lib, null);
    }

    private static void use(NativeLibraryInfo.Origin from, Path lib, PackagedLibrary library) {
        System.setProperty(BINDING_LIB_PATH, lib.getParent().toString());
        origin = from;
        location = lib;
        packaged = library;
    }

    /**
     * The binding's loader does not fail when the library it is pointed at does not load (a GPU build without its
     * driver or runtime): it prints the error and unpacks and loads its own CPU library into its temporary
     * directory, LocaLLM's empty {@code binding-tmp}. A file there means that happened; a silent CPU run is not
     * what was asked for. (The library cannot be tried first: loading it runs its JNI_OnLoad, which initializes the
     * binding's classes, whose loader then loads a library itself.)
     */
    /** The binding's temporary directory, one per process, so that one process's fallback is not another's. */
    private static Path bindingTmp() {
        return privateDirectory().resolve("binding-tmp").resolve(Long.toString(ProcessHandle.current().pid()));
    }

    private static void checkTheBindingUsedIt(Path bindingTmp) {
        try (var files = Files.list(bindingTmp)) {
            if (files.findAny().isEmpty()) {
                Files.deleteIfExists(bindingTmp);
            } else if (origin != NativeLibraryInfo.Origin.BINDING_JAR) {
                throw new BackendUnavailableException("The llama.cpp library " + location + " ("
                        + (packaged != null ? packaged.variant() : "supplied") + ") did not load on this machine, and "
                        + "the binding fell back to its own CPU library (its error is on standard error above). A "
                        + "GPU build needs its runtime: the NVIDIA driver and CUDA's libcudart and libcublas for "
                        + "cuda, a Vulkan loader for vulkan. Or pick another library with -D"
                        + PackagedLibrary.VARIANT_PROPERTY + "=<variant> ('stock' for the binding's own); the "
                        + "process must restart, since a library stays loaded.");
            }
        } catch (IOException e) {
            LOG.debug("Cannot list {}: {}", bindingTmp, e.getMessage());
        }
    }

    /** The packaged library in LocaLLM's private directory, checked against its descriptor's SHA-256. */
    private static Path unpack(ClassLoader loader, PackagedLibrary library, Path base) {
        Path dir = base.resolve("native-" + library.variant() + "-" + library.sha256().substring(0, 16));
        createPrivateDirectory(dir);
        Path lib = dir.resolve(System.mapLibraryName("jllama"));
        if (library.sha256().equals(sha256(lib))) {
            return lib;
        }
        try (InputStream in = loader.getResourceAsStream(library.resource())) {
            if (in == null) {
                throw new BackendUnavailableException(library.descriptor() + " names " + library.resource()
                        + ", which is not on the classpath: the locallm-llamacpp-native jar is broken");
            }
            Path tmp = Files.createTempFile(dir, "lib", ".tmp");
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream hashed = new DigestInputStream(in, digest)) {
                Files.copy(hashed, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            if (!HexFormat.of().formatHex(digest.digest()).equals(library.sha256())) {
                Files.deleteIfExists(tmp);
                throw new BackendUnavailableException(library.resource() + " does not match the SHA-256 that "
                        + library.descriptor() + " gives: the locallm-llamacpp-native jar is corrupt");
            }
            moveAtomically(tmp, lib);
            return lib;
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot unpack the " + library.variant() + " llama.cpp library to "
                    + dir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BackendUnavailableException("de.kherud:llama " + version() + " bundles no library for "
                        + platform() + ". Build one with backend-llamacpp/native (see its README), or point -D"
                        + LIBRARY_PATH_PROPERTY + " at a directory holding " + System.mapLibraryName("jllama") + ".");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot read the binding's library " + resource + ": "
                    + e.getMessage(), e);
        }
    }

    /** Asks a library built by LocaLLM to describe itself; what is known of the others. */
    private static NativeLibraryInfo describe() {
        String json;
        try {
            json = NativeBuild.describe();
        } catch (UnsatisfiedLinkError e) {
            if (origin == NativeLibraryInfo.Origin.LOCALLM_NATIVE_JAR) {
                throw new BackendUnavailableException("The binding did not use the " + packaged.variant()
                        + " library LocaLLM chose (" + location + "), which lacks LocaLLM's description: is "
                        + "de.kherud:llama loaded by another class loader than locallm-backend-llamacpp?", e);
            }
            if (origin == NativeLibraryInfo.Origin.BINDING_JAR) {
                boolean metal = platform().equals("Mac/aarch64");
                return new NativeLibraryInfo(origin, location.toString(), PackagedLibrary.STOCK, STOCK_LLAMA_CPP,
                        STOCK_LLAMA_CPP_COMMIT, "", metal ? NativeLibraryInfo.GpuOffload.SUPPORTED
                                : NativeLibraryInfo.GpuOffload.NOT_SUPPORTED, List.of());
            }
            return new NativeLibraryInfo(origin, location.toString(), "unknown", "unknown", "unknown", "",
                    NativeLibraryInfo.GpuOffload.UNKNOWN, List.of());
        }
        JsonNode node;
        try {
            node = JsonMapper.shared().readTree(json);
        } catch (RuntimeException e) {
            LOG.warn("The llama.cpp library's description is not JSON: {}", e.getMessage());
            return new NativeLibraryInfo(origin, location.toString(), packaged != null ? packaged.variant() : "unknown",
                    "unknown", "unknown", "", NativeLibraryInfo.GpuOffload.UNKNOWN, List.of());
        }
        List<NativeLibraryInfo.Device> devices = new ArrayList<>();
        for (JsonNode d : node.path("devices")) {
            devices.add(new NativeLibraryInfo.Device(d.path("name").asString(""), d.path("description").asString(""),
                    d.path("type").asString("other")));
        }
        return new NativeLibraryInfo(origin, location.toString(), node.path("variant").asString("unknown"),
                node.path("llamaCppTag").asString("unknown"), node.path("llamaCppCommit").asString("unknown"),
                node.path("systemInfo").asString("").strip(), node.path("gpuOffload").asBoolean(false)
                        ? NativeLibraryInfo.GpuOffload.SUPPORTED : NativeLibraryInfo.GpuOffload.NOT_SUPPORTED, devices);
    }

    private static Path privateDirectory() {
        String configured = System.getProperty(NATIVE_DIR_PROPERTY, "");
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "locallm-" + user);
    }

    private static void createPrivateDirectory(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                return;
            }
            try {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            } catch (FileAlreadyExistsException e) {
                // another process created it first
            }
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot create LocaLLM's native directory " + dir + " (set -D"
                    + NATIVE_DIR_PROPERTY + " to a writable directory): " + e.getMessage(), e);
        }
    }

    /** The file's SHA-256, or an empty string when it cannot be read. */
    private static String sha256(Path file) {
        if (!Files.isRegularFile(file)) {
            return "";
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            return "";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        try {
            Path tmp = Files.createTempFile(target.getParent(), "lib", ".tmp");
            Files.write(tmp, bytes);
            moveAtomically(tmp, target);
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot unpack the llama.cpp library to " + target + ": "
                    + e.getMessage(), e);
        }
    }

    private static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The binding's folder name for this platform, such as {@code Linux/x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("win") ? "Windows" : os.contains("mac") || os.contains("darwin") ? "Mac" : "Linux";
        String archName = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i686" -> "x86";
            default -> arch;
        };
        return osName + "/" + archName;
    }

    private static String version() {
        Package p = LlamaModel.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v != null ? v : "4.2.0";
    }
}
