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
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the binding's native library once per JVM, quietly and from a private directory.
 *
 * <p>Left alone, {@code de.kherud:llama} prints to stdout, unpacks its library into the shared temporary
 * directory, and at start-up deletes every file there whose name starts with {@code llama} or
 * {@code jllama}. LocaLLM instead unpacks the library bundled in the binding's jar into
 * {@code <java.io.tmpdir>/locallm-<user>/native-<version>-<hash>/} (owner-only permissions; the hash of the
 * library's bytes keeps versions apart), points the binding's temporary directory at an empty private folder,
 * and routes native logging to SLF4J.
 *
 * <p>A native library of your own (a CUDA, Metal or CPU-tuned build of the same binding version) is used
 * instead when the system property {@value #LIBRARY_PATH_PROPERTY} (or the binding's own
 * {@code de.kherud.llama.lib.path}) names the directory that holds it. {@value #NATIVE_DIR_PROPERTY} moves
 * LocaLLM's private directory.
 */
final class NativeLibrary {
    static final String LIBRARY_PATH_PROPERTY = "locallm.llamacpp.library.path";
    static final String NATIVE_DIR_PROPERTY = "locallm.native.dir";
    private static final String BINDING_LIB_PATH = "de.kherud.llama.lib.path";
    private static final String BINDING_TMP_DIR = "de.kherud.llama.tmpdir";
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    private static volatile boolean loaded;
    private static volatile boolean bundled;
    private static volatile String source = "not loaded";

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
                throw new BackendUnavailableException("The llama.cpp native library failed to load (" + source + "): "
                        + e.getMessage() + ". Supply a build of de.kherud:llama " + version() + " for "
                        + platform() + " and point -D" + LIBRARY_PATH_PROPERTY + " at its directory.", e);
            }
            loaded = true;
            LOG.debug("llama.cpp native library loaded from {}", source);
        }
    }

    /** Re-installs the SLF4J log bridge; loading a model replaces llama.cpp's log callback. */
    static void reinstallLogBridge() {
        LlamaModel.setLogger(LogFormat.TEXT, new NativeLogBridge());
    }

    /** Where the library came from, for diagnostics. */
    static String source() {
        return source;
    }

    /** Whether the library in use is the CPU-only one bundled with the binding (not one the user supplied). */
    static boolean isBundled() {
        return bundled;
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
            source = "supplied library " + lib.toAbsolutePath();
            return;
        }
        String resource = "/de/kherud/llama/" + platform() + "/" + System.mapLibraryName("jllama");
        byte[] bytes;
        try (InputStream in = LlamaModel.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BackendUnavailableException("de.kherud:llama " + version() + " bundles no native library for "
                        + platform() + ". Build one and point -D" + LIBRARY_PATH_PROPERTY + " at its directory.");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot read the bundled llama.cpp library " + resource, e);
        }
        Path dir = base.resolve("native-" + version() + "-" + sha256(bytes).substring(0, 16));
        createPrivateDirectory(dir);
        Path lib = dir.resolve(System.mapLibraryName("jllama"));
        if (!Files.isRegularFile(lib) || !sameSize(lib, bytes.length)) {
            writeAtomically(lib, bytes);
        }
        System.setProperty(BINDING_LIB_PATH, dir.toString());
        source = "bundled library unpacked to " + lib;
        bundled = true;
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
