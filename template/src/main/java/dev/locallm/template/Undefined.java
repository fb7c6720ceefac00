package dev.locallm.template;

/** The value of a missing variable, key or attribute: prints as nothing, is false, iterates as empty. */
final class Undefined {
    static final Undefined INSTANCE = new Undefined();

    private Undefined() {
    }

    @Override
    public String toString() {
        return "";
    }
}
