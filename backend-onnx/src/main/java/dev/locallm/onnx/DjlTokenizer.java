package dev.locallm.onnx;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.error.ModelLoadException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Tokenizer} over Hugging Face's {@code tokenizers} library through DJL
 * ({@code ai.djl.huggingface:tokenizers}), reading {@code tokenizer.json}. Thread-safe; {@link #close()} frees the
 * native tokenizer once.
 *
 * <p>DJL extracts its native library into {@code ENGINE_CACHE_DIR}, else {@code DJL_CACHE_DIR} (each an
 * environment variable or a system property), else the shared {@code ~/.djl.ai}. Unless the application set one of
 * them, the first tokenizer sets the system property {@code ENGINE_CACHE_DIR} to {@code ~/.locallm/native/djl},
 * created readable by its owner only, or, when that cannot be, to a new private temporary folder of this process.
 * It also sets {@code OPT_OUT_TRACKING=true} unless the application set it: otherwise DJL reports its use over the
 * network (after querying the EC2 metadata address) when a tokenizer loads.
 */
final class DjlTokenizer implements Tokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(DjlTokenizer.class);
    static final String ENGINE_CACHE_DIR = "ENGINE_CACHE_DIR";
    /** DJL's switch for the usage report it otherwise sends (after asking EC2's metadata service who runs it). */
    static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";
    private static final Object NATIVE_LOCK = new Object();
    private static volatile boolean nativeDirChosen;

    private final HuggingFaceTokenizer tokenizer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DjlTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@code tokenizer.json}.
     *
     * @throws ModelLoadException          when the file is not a tokenizer
     * @throws BackendUnavailableException when DJL's native library cannot be loaded here
     */
    static DjlTokenizer open(Path tokenizerJson) {
        chooseNativeDirectory();
        try {
            return new DjlTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("addSpecialTokens", "false",
                    "truncation", "false", "padding", "false")));
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new BackendUnavailableException("The native library of ai.djl.huggingface:tokenizers cannot be "
                    + "loaded on this platform (" + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                    + "): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(tokenizerJson + " is not a valid Hugging Face tokenizer: " + e.getMessage(),
                    e);
        }
    }

    /** Points DJL's extraction at a private folder, unless the application chose one. */
    static void chooseNativeDirectory() {
        if (nativeDirChosen) {
            return;
        }
        synchronized (NATIVE_LOCK) {
            if (nativeDirChosen) {
                return;
            }
            if (!isSet(OPT_OUT_TRACKING)) {
                System.setProperty(OPT_OUT_TRACKING, "true");
            }
            if (!isSet(ENGINE_CACHE_DIR) && !isSet("DJL_CACHE_DIR")) {
                Path dir = privateDirectory();
                System.setProperty(ENGINE_CACHE_DIR, dir.toString());
                LOG.debug("DJL extracts its tokenizer library under {}", dir);
            }
            nativeDirChosen = true;
        }
    }

    private static boolean isSet(String name) {
        String env = System.getenv(name);
        String property = System.getProperty(name);
        return env != null && !env.isBlank() || property != null && !property.isBlank();
    }

    private static Path privateDirectory() {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            Path home = Path.of(System.getProperty("user.home"), ".locallm", "native", "djl");
            if (posix) {
                Files.createDirectories(home, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                if (Files.getOwner(home).getName().equals(System.getProperty("user.name"))
                        && PosixFilePermissions.toString(Files.getPosixFilePermissions(home)).equals("rwx------")) {
                    return home;
                }
            } else {
                Files.createDirectories(home);
                return home;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Cannot use ~/.locallm/native/djl: {}", e.toString());
        }
        try {
            Path temp = Files.createTempDirectory("locallm-djl-");
            temp.toFile().deleteOnExit();
            return temp;
        } catch (IOException e) {
            throw new BackendUnavailableException("No private folder for the native tokenizer library: "
                    + e.getMessage() + "; set ENGINE_CACHE_DIR to a folder of your own", e);
        }
    }

    @Override
    public int[] encode(String text) {
        return ints(tokenizer.encode(text, false, false).getIds());
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return ints(tokenizer.encode(text, true, false).getIds());
    }

    private static int[] ints(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            tokenizer.close();
        }
    }
}
