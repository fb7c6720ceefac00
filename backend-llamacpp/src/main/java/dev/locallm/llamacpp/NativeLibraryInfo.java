package dev.locallm.llamacpp;

import java.util.List;
import java.util.Objects;

/**
 * What the llama.cpp native library in use is and what it can do: where it came from, the llama.cpp release it
 * was built from, the CPU features it uses, and the devices it sees. The backend logs it once when the library
 * loads; {@code locallm info --native} prints it as JSON.
 *
 * <p>An immutable value; obtain it with {@link #current()}, which loads the library if needed and is
 * thread-safe. Libraries built by LocaLLM ({@code backend-llamacpp/native}) describe themselves; for the one
 * bundled with {@code de.kherud:llama} the release is known but the CPU features and devices are not, and for a
 * library supplied with {@code -Dlocallm.llamacpp.library.path} that was not built by LocaLLM nothing is known
 * beyond its path.
 *
 * @param origin       which of the three places the library came from
 * @param location     the file the library was loaded from
 * @param variant      {@code cpu}, {@code cpu-portable}, {@code cuda}, {@code vulkan}, {@code metal}, {@code stock}
 *                     (the binding's own), or {@code unknown}
 * @param llamaCpp     the llama.cpp release, such as {@code b4980}, or {@code unknown}
 * @param llamaCppCommit the llama.cpp commit the library was built from, or {@code unknown}
 * @param systemInfo   llama.cpp's system information (CPU features such as {@code AVX2 = 1}), or empty when unknown
 * @param gpuOffload   whether the library can offload layers to a GPU
 * @param devices      the devices llama.cpp sees, CPU included; empty when unknown
 */
public record NativeLibraryInfo(Origin origin, String location, String variant, String llamaCpp,
        String llamaCppCommit, String systemInfo, GpuOffload gpuOffload, List<Device> devices) {

    /** Where a native library came from. */
    public enum Origin {
        /** The library bundled in {@code de.kherud:llama}'s jar. */
        BINDING_JAR,
        /** A {@code locallm-llamacpp-native} jar on the classpath, built by {@code backend-llamacpp/native}. */
        LOCALLM_NATIVE_JAR,
        /** The directory named by {@code -Dlocallm.llamacpp.library.path} (or {@code de.kherud.llama.lib.path}). */
        SUPPLIED_PATH
    }

    /** Whether a library can offload layers to a GPU. */
    public enum GpuOffload {
        /** Built with a GPU backend (CUDA, Vulkan, Metal). */
        SUPPORTED,
        /** A CPU-only build. */
        NOT_SUPPORTED,
        /** A library that does not say (supplied, not built by LocaLLM). */
        UNKNOWN
    }

    /**
     * A device llama.cpp can compute on.
     *
     * @param name        llama.cpp's name for it, such as {@code CPU} or {@code CUDA0}
     * @param description what the driver calls it, such as the GPU model
     * @param type        {@code cpu}, {@code gpu}, {@code accelerator} or {@code other}
     */
    public record Device(String name, String description, String type) {
        /** Checks the components. */
        public Device {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(type, "type");
        }

        /** Whether this is a GPU, which llama.cpp offloads layers to. */
        public boolean isGpu() {
            return type.equals("gpu");
        }

        /**
         * Whether this GPU is a software renderer running on the CPU (Mesa's llvmpipe/lavapipe, SwiftShader), which
         * Vulkan drivers list as a device: offloading to it is slower than llama.cpp's own CPU backend.
         */
        public boolean isSoftwareGpu() {
            String d = description.toLowerCase(java.util.Locale.ROOT);
            return isGpu() && (d.contains("llvmpipe") || d.contains("lavapipe") || d.contains("swiftshader"));
        }
    }

    /** Checks the components and copies the device list. */
    public NativeLibraryInfo {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(llamaCpp, "llamaCpp");
        Objects.requireNonNull(llamaCppCommit, "llamaCppCommit");
        Objects.requireNonNull(systemInfo, "systemInfo");
        Objects.requireNonNull(gpuOffload, "gpuOffload");
        devices = List.copyOf(devices);
    }

    /**
     * The library this process uses, loading it first if no model has.
     *
     * @throws dev.locallm.error.BackendUnavailableException when no library can be loaded
     */
    public static NativeLibraryInfo current() {
        NativeLibrary.ensureLoaded();
        return NativeLibrary.info();
    }

    /** Whether llama.cpp sees at least one GPU. */
    public boolean hasGpu() {
        return devices.stream().anyMatch(Device::isGpu);
    }

    /** One line for logs and messages. */
    public String summary() {
        StringBuilder line = new StringBuilder(variant).append(" build of llama.cpp ").append(llamaCpp);
        if (!llamaCppCommit.equals("unknown")) {
            line.append(" (").append(llamaCppCommit, 0, Math.min(10, llamaCppCommit.length())).append(')');
        }
        line.append(" from ").append(location);
        if (!systemInfo.isEmpty()) {
            line.append("; ").append(systemInfo.strip());
        }
        if (!devices.isEmpty()) {
            line.append("; devices: ").append(String.join(", ", devices.stream()
                    .map(d -> d.name() + " (" + d.description() + ")").toList()));
        }
        return line.toString();
    }
}
