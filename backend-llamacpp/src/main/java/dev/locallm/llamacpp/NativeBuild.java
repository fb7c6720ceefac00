package dev.locallm.llamacpp;

/**
 * The native method LocaLLM adds to the binding's JNI library when it builds it ({@code backend-llamacpp/native}):
 * a description of the build. Libraries built elsewhere lack it ({@link UnsatisfiedLinkError}).
 */
final class NativeBuild {
    private NativeBuild() {
    }

    /**
     * A JSON object with {@code variant}, {@code llamaCppTag}, {@code llamaCppCommit}, {@code systemInfo},
     * {@code gpuOffload} and {@code devices} (name, description, type).
     */
    static native String describe();
}
