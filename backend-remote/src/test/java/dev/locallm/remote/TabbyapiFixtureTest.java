package dev.locallm.remote;

/** The contract suites against a fixture server that answers like TABBYAPI (see {@link Family#TABBYAPI}). */
class TabbyapiFixtureTest extends FamilyContracts.WithToolsAndSchemas {
    TabbyapiFixtureTest() {
        super(Family.TABBYAPI);
    }
}
