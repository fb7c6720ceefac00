package dev.locallm.remote;

/** The contract suites against a fixture server that answers like LOCALAI (see {@link Family#LOCALAI}). */
class LocalaiFixtureTest extends FamilyContracts.WithTools {
    LocalaiFixtureTest() {
        super(Family.LOCALAI);
    }
}
