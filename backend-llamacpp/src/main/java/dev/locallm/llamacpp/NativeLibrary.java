package dev.locallm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.args.LogFormat;
import dev.locallm.error.BackendUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 * {@code jllama}. LocaLLM instead unpacks the library into
 * {@code <java.io.tmpdir>/locallm-<user>/native-<variant>-<hash>/} (owner-only permissions; the hash of the
 * library's bytes keeps versions apart), points the binding's temporary directory at an empty private folder,
 * and routes native logging to SLF4J.
 *
 * <p>Which library, first found first: the directory named by {@value #LIBRARY_PATH_PROPERTY} (or the binding's
 * own {@code de.kherud.llama.lib.path}); else a {@code locallm-llamacpp-native} jar on the classpath for this
 * platform and CPU (see {@link PackagedLibrary#choose}; {@value PackagedLibrary#VARIANT_PROPERTY} picks one);
 * else the generic CPU library bundled in the binding's jar. {@value #NATIVE_DIR_PROPERTY} moves LocaLLM's
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
        }
    }

    /** Re-installs the SLF4J log bridge; loading a model replaces llama.cpp's log callback. */
    static void reinstallLogBridge() {
        LlamaModel.setLogger(LogFormat.TEXT, new NativeLogBridge());
    }

    /** The library in use; call {@link #ensureLoaded()} first. */
    static NativeLibraryInfo info() {
        ensureLoaded();
        return info;
    }

    private static void prepare() {
        Path base = privateDirectory();
        Path bindingTmp = base.resolve("binding-tmp");
        createPrivateDirectory(bindingTmp);
        System.setProperty(BINDING_TMP_DIR, bindingTmp.toString());

        String supplied = System.getProperty(LIBRARY_PATH_PROPERTY, System.getProperty(BINDING_LIB_PATH, ""));
        if (!supplied.isBlank()) {
            Path dir = Path.of(supplied);
            Path lib = dir.resolve(System.mapLibraryName("jllama"));
            if (!Files.isRegularFile(lib)) {
                throw new BackendUnavailableException("-D" + LIBRARY_PATH_PROPERTY + " points at " + dir.toAbsolutePath()
                        + ", which holds no " + lib.getFileName());
            }
            System.setProperty(BINDING_LIB_PATH, dir.toString());
            origin = NativeLibraryInfo.Origin.SUPPLIED_PATH;
            location = lib.toAbsolutePath();
            return;
        }
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        packaged = PackagedLibrary.choose(PackagedLibrary.find(loader), PackagedLibrary.currentPlatform(),
                PackagedLibrary.currentCpuFlags(), System.getProperty(PackagedLibrary.VARIANT_PROPERTY)).orElse(null);
        byte[] bytes;
        String name;
        if (packaged != null) {
            bytes = read(loader, packaged.resource(), "the " + packaged.variant() + " library of "
                    + packaged.descriptor());
            if (!sha256(bytes).equals(packaged.sha256())) {
                throw new BackendUnavailableException(packaged.resource() + " does not match the SHA-256 its descriptor "
                        + packaged.descriptor() + " gives: the locallm-llamacpp-native jar is corrupt");
            }
            name = packaged.variant();
            origin = NativeLibraryInfo.Origin.LOCALLM_NATIVE_JAR;
        } else {
            String resource = "de/kherud/llama/" + platform() + "/" + System.mapLibraryName("jllama");
            bytes = read(LlamaModel.class.getClassLoader(), resource, "de.kherud:llama " + version()
                    + "'s library for " + platform());
            name = version();
            origin = NativeLibraryInfo.Origin.BINDING_JAR;
        }
        Path dir = base.resolve("native-" + name + "-" + sha256(bytes).substring(0, 16));
        createPrivateDirectory(dir);
        Path lib = dir.resolve(System.mapLibraryName("jllama"));
        if (!Files.isRegularFile(lib) || !sameSize(lib, bytes.length)) {
            writeAtomically(lib, bytes);
        }
        System.setProperty(BINDING_LIB_PATH, dir.toString());
        location = lib;
    }

    private static byte[] read(ClassLoader loader, String resource, String what) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BackendUnavailableException("Cannot find " + what + " (" + resource + "). Build one with "
                        + "backend-llamacpp/native/build.sh, or point -D" + LIBRARY_PATH_PROPERTY
                        + " at a directory holding " + System.mapLibraryName("jllama") + ".");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot read " + what + " (" + resource + "): " + e.getMessage(), e);
        }
    }

    /** Asks a library built by LocaLLM to describe itself; what is known of the others. */
    private static NativeLibraryInfo describe() {
        String json;
        try {
            json = NativeBuild.describe();
        } catch (UnsatisfiedLinkError e) {
            if (origin == NativeLibraryInfo.Origin.BINDING_JAR) {
                boolean metal = platform().equals("Mac/aarch64");
                return new NativeLibraryInfo(origin, location.toString(), PackagedLibrary.STOCK, STOCK_LLAMA_CPP,
                        STOCK_LLAMA_CPP_COMMIT, "", metal ? NativeLibraryInfo.GpuOffload.SUPPORTED
                                : NativeLibraryInfo.GpuOffload.NOT_SUPPORTED, List.of());
            }
            return new NativeLibraryInfo(origin, location.toString(), "unknown", "unknown", "unknown", "",
                    NativeLibraryInfo.GpuOffload.UNKNOWN, List.of());
        }
        JsonNode node = JsonMapper.shared().readTree(json);
        List<NativeLibraryInfo.Device> devices = new ArrayList<>();
        for (JsonNode d : node.path("devices")) {
            devices.add(new NativeLibraryInfo.Device(d.path("name").asString(""), d.path("description").asString(""),
                    d.path("type").asString("other"), d.path("memoryTotal").asLong(0), d.path("memoryFree").asLong(0)));
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

    private static boolean sameSize(Path file, long size) {
        try {
            return Files.size(file) == size;
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        try {
            Path tmp = Files.createTempFile(target.getParent(), "lib", ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot unpack the llama.cpp library to " + target + ": "
                    + e.getMessage(), e);
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
