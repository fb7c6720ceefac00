package dev.locallm;

import dev.locallm.spi.ModelLocation;
import dev.locallm.spi.ModelSource;
import java.util.Set;

/** A model source for tests: {@code renamed:X} resolves to {@code foo:/resolved/X}, keeping the query. */
public final class RenamingModelSource implements ModelSource {
    @Override
    public Set<String> schemes() {
        return Set.of("renamed");
    }

    @Override
    public ModelLocation resolve(ModelLocation location) {
        return ModelLocation.parse("foo:/resolved/" + location.target());
    }
}
