package dev.locallm.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.error.LocalLmException;
import dev.locallm.langchain4j.LocalLmChatModel;
import dev.locallm.server.LocalLmServer;
import dev.locallm.springai.LocalLmSpringAiChatModel;
import dev.locallm.stream.ChatStream;
import dev.locallm.testkit.TestModels;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Each bean of the auto-configuration appears, or backs off, as it should; on the shared stories260K model. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalLmAutoConfigurationTest {
    private static final String MODEL = "gguf:" + TestModels.require(TestModels.STORIES_CHATML);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LocalLmAutoConfiguration.class,
                    LocalLmMetricsAutoConfiguration.class, LocalLmHealthAutoConfiguration.class,
                    LocalLmLangChain4jAutoConfiguration.class, LocalLmSpringAiAutoConfiguration.class,
                    LocalLmServerAutoConfiguration.class));

    private ApplicationContextRunner withModel() {
        return runner.withPropertyValues("locallm.chat-model.uri=" + MODEL, "locallm.chat-model.options.threads=1",
                "locallm.chat-model.options.ctx=512", "locallm.chat-model.defaults.max-tokens=6",
                "locallm.chat-model.defaults.temperature=0");
    }

    @Test
    void withoutAUriThereAreNoModelsAndNothingBuiltOnThem() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(ChatModel.class).doesNotHaveBean(EmbeddingModel.class)
                    .doesNotHaveBean(dev.langchain4j.model.chat.ChatModel.class)
                    .doesNotHaveBean(org.springframework.ai.chat.model.ChatModel.class)
                    .doesNotHaveBean(LocalLmServer.class);
            assertThat(context.getBean(HealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void aUriLoadsTheModelWithItsOptionsAndDefaultsAndTheFrameworksGetBeansOverIt() {
        ChatModel[] loaded = new ChatModel[1];
        withModel().run(context -> {
            ChatModel model = context.getBean(ChatModel.class);
            loaded[0] = model;
            assertThat(model.capabilities().contextLength()).isEqualTo(512);
            assertThat(model.defaultOptions().maxTokens()).hasValue(6);
            assertThat(model.chat(ChatRequest.of("Hello")).usage().completionTokens()).isBetween(1, 6);

            LocalLmChatModel langChain4j = context.getBean(LocalLmChatModel.class);
            assertThat(langChain4j.localLmModel()).isSameAs(model);
            assertThat(langChain4j.chat("Hello")).isNotBlank();
            assertThat(context).hasSingleBean(dev.langchain4j.model.chat.StreamingChatModel.class);
            LocalLmSpringAiChatModel springAi = context.getBean(LocalLmSpringAiChatModel.class);
            assertThat(springAi.localLmModel()).isSameAs(model);
            assertThat(springAi.call("Hello")).isNotBlank();
        });
        assertThatThrownBy(() -> loaded[0].capabilities()).as("closed with the context")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void theApplicationsOwnModelsWinAndTheFrameworkBeansWrapThem() {
        runner.withPropertyValues("locallm.chat-model.uri=/does/not/exist.gguf")
                .withUserConfiguration(OwnModels.class).run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ChatModel.class)
                            .hasSingleBean(org.springframework.ai.chat.model.ChatModel.class);
                    assertThat(context.getBean(LocalLmChatModel.class).localLmModel())
                            .isSameAs(context.getBean(ChatModel.class));
                    assertThat(context.getBean(dev.langchain4j.model.embedding.EmbeddingModel.class).dimension())
                            .isEqualTo(context.getBean(EmbeddingModel.class).dimension());
                    assertThat(context.getBean(org.springframework.ai.embedding.EmbeddingModel.class).embed("A dog."))
                            .isEqualTo(context.getBean(EmbeddingModel.class).embed("A dog."));
                });
        withModel().withUserConfiguration(OwnSpringAiModel.class).run(context -> assertThat(context)
                .hasSingleBean(org.springframework.ai.chat.model.ChatModel.class)
                .doesNotHaveBean(LocalLmSpringAiChatModel.class));
    }

    @Test
    void eachFrameworkPartBacksOffWithoutItsModuleOnTheClasspath() {
        withModel().withClassLoader(new FilteredClassLoader(LocalLmChatModel.class, LocalLmSpringAiChatModel.class))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ChatModel.class)
                        .doesNotHaveBean(dev.langchain4j.model.chat.ChatModel.class)
                        .doesNotHaveBean(org.springframework.ai.chat.model.ChatModel.class));
        runner.withPropertyValues("locallm.server.enabled=true").withClassLoader(
                new FilteredClassLoader(LocalLmServer.class)).run(context -> assertThat(context).hasFailed()
                        .getFailure().rootCause().hasMessageContaining("dev.locallm:locallm-server"));
        withModel().withPropertyValues("management.health.locallm.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(HealthIndicator.class));
    }

    @Test
    void aModelThatCannotLoadFailsTheContextNamingTheFile() {
        runner.withPropertyValues("locallm.chat-model.uri=/does/not/exist.gguf").run(context -> assertThat(context)
                .hasFailed().getFailure().rootCause().isInstanceOf(LocalLmException.class)
                .hasMessageContaining("/does/not/exist.gguf"));
    }

    @Test
    void generationsAreMeteredAndTheHealthShowsTheModelUntilItCloses() {
        withModel().withUserConfiguration(Meters.class).run(context -> {
            ChatModel model = context.getBean(ChatModel.class);
            model.chat(ChatRequest.of("Hello"));
            try (ChatStream stream = model.chatStream(ChatRequest.of("Hi"))) {
                stream.forEach(chunk -> { });
            }
            try (ChatStream stream = model.chatStream(ChatRequest.of("Hi"))) {
                stream.iterator().next();
            }
            model.with(o -> o.maxTokens(2)).chat(ChatRequest.of("Hello"));
            assertThatThrownBy(() -> model.chat(ChatRequest.builder().user("x").options(o -> o.maxTokens(100_000))
                    .build())).isInstanceOf(LocalLmException.class);

            MeterRegistry meters = context.getBean(MeterRegistry.class);
            String name = model.capabilities().modelName();
            assertThat(meters.get("locallm.requests").tag("model", name).tag("outcome", "success").timer().count())
                    .isEqualTo(3);
            assertThat(meters.get("locallm.requests").tag("outcome", "cancelled").timer().count()).isEqualTo(1);
            assertThat(meters.get("locallm.requests").tag("outcome", "error").timer().count()).isEqualTo(1);
            assertThat(meters.get("locallm.tokens").tag("kind", "completion").summary().totalAmount())
                    .isBetween(3.0, 14.0);
            assertThat(meters.get("locallm.time.to.first.token").timer().count()).isEqualTo(3);
            assertThat(meters.get("locallm.active.generations").gauge().value()).isZero();
            assertThat(meters.get("locallm.queue.depth").gauge().value()).isZero();

            var health = context.getBean(HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsKey("localLmChatModel");
            assertThat(health.getDetails().get("localLmChatModel").toString()).contains("contextLength=512",
                    "busySlots=0", "backend=llama.cpp");
            model.close();
            assertThat(context.getBean(HealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Test
    void theServerServesTheModelsOverHttpWhenEnabled() {
        withModel().withPropertyValues("locallm.server.enabled=true", "locallm.server.port=0",
                "locallm.server.api-key=secret", "locallm.embedding-model.uri=" + MODEL + "?threads=1")
                .run(context -> {
                    LocalLmServer server = context.getBean(LocalLmServer.class);
                    HttpClient http = HttpClient.newHttpClient();
                    HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                            + "/models")).header("Authorization", "Bearer secret").build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(models.statusCode()).isEqualTo(200);
                    assertThat(models.body()).contains(context.getBean(ChatModel.class).capabilities().modelName(),
                            "stories260K-chatml");
                    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                            + "/models")).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(refused.statusCode()).isEqualTo(401);
                });
    }

    @Test
    void theJarDescribesEveryPropertyForIdes() throws Exception {
        JsonNode metadata;
        try (var in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            metadata = JsonMapper.shared().readTree(in);
        }
        Map<String, JsonNode> properties = new HashMap<>();
        metadata.get("properties").forEach(p -> properties.put(p.get("name").asString(), p));
        assertThat(properties).containsKeys("locallm.chat-model.uri", "locallm.chat-model.options",
                "locallm.chat-model.defaults.temperature", "locallm.chat-model.defaults.max-tokens",
                "locallm.embedding-model.uri", "locallm.server.enabled", "locallm.server.port",
                "locallm.server.api-key");
        assertThat(properties.values()).allSatisfy(p -> assertThat(p.path("description").asString()).isNotBlank());
        assertThat(properties.get("locallm.server.port").get("defaultValue").asInt()).isEqualTo(8081);
    }

    @Test
    void twoModelsUnderOneNameFailTheServerAndAChildContextDoesNotStopIt() {
        runner.withPropertyValues("locallm.server.enabled=true", "locallm.server.port=0")
                .withUserConfiguration(TwoOfOneModel.class).run(context -> assertThat(context).hasFailed()
                        .getFailure().rootCause().hasMessageContaining("'first'").hasMessageContaining("'second'"));
        withModel().withPropertyValues("locallm.server.enabled=true", "locallm.server.port=0").run(context -> {
            LocalLmServer server = context.getBean(LocalLmServer.class);
            try (var child = new org.springframework.context.annotation.AnnotationConfigApplicationContext()) {
                child.setParent(context);
                child.refresh();
            }
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(server.baseUrl().replace("/v1", "/health"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        });
    }

    @Test
    void aBeanOfItsOwnClassKeepsItsTypeAndTheHealthLoadsNoLazyModel() {
        withModel().withUserConfiguration(Meters.class, OwnTypedAndLazyModels.class)
                .withClassLoader(new FilteredClassLoader(LocalLmChatModel.class, LocalLmSpringAiChatModel.class))
                .run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("typedModel")).isInstanceOf(TypedModel.class);
            assertThat(context.getBean(HealthIndicator.class).health().getDetails()).containsKey("typedModel")
                    .doesNotContainKey("lazyModel");
            assertThat(OwnTypedAndLazyModels.lazyLoads).isZero();
        });
    }

    /** An application that loads its own models. */
    @Configuration(proxyBeanMethods = false)
    static class OwnModels {
        @Bean
        ChatModel ownChatModel() {
            return LocalLm.chatModel(MODEL + "?threads=1&ctx=256");
        }

        @Bean
        EmbeddingModel ownEmbeddingModel() {
            return LocalLm.embeddingModel(MODEL + "?threads=1");
        }
    }

    /** A chat model class of the application's own, injected by its type. */
    static final class TypedModel implements ChatModel {
        private final ChatModel model = LocalLm.chatModel(MODEL + "?threads=1&ctx=256");

        @Override
        public dev.locallm.chat.ChatResponse chat(ChatRequest request) {
            return model.chat(request);
        }

        @Override
        public ChatStream chatStream(ChatRequest request) {
            return model.chatStream(request);
        }

        @Override
        public void chatStream(ChatRequest request, dev.locallm.stream.StreamHandler handler) {
            model.chatStream(request, handler);
        }

        @Override
        public ChatStream completeStream(String prompt, dev.locallm.chat.GenerationOptions options) {
            return model.completeStream(prompt, options);
        }

        @Override
        public ChatModel with(dev.locallm.chat.GenerationOptions defaults) {
            return model.with(defaults);
        }

        @Override
        public dev.locallm.chat.GenerationOptions defaultOptions() {
            return model.defaultOptions();
        }

        @Override
        public dev.locallm.chat.ModelCapabilities capabilities() {
            return model.capabilities();
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /** An application with a model bean of its own class and a lazy one. */
    @Configuration(proxyBeanMethods = false)
    static class OwnTypedAndLazyModels {
        static int lazyLoads;

        @Bean
        TypedModel typedModel() {
            return new TypedModel();
        }

        @Bean
        String usesTypedModel(TypedModel model) {
            return model.capabilities().modelName();
        }

        @Bean
        @org.springframework.context.annotation.Lazy
        EmbeddingModel lazyModel() {
            lazyLoads++;
            return LocalLm.embeddingModel(MODEL + "?threads=1");
        }
    }

    /** An application with one model file loaded twice. */
    @Configuration(proxyBeanMethods = false)
    static class TwoOfOneModel {
        @Bean
        ChatModel first() {
            return LocalLm.chatModel(MODEL + "?threads=1&ctx=256");
        }

        @Bean
        ChatModel second() {
            return LocalLm.chatModel(MODEL + "?threads=1&ctx=512");
        }
    }

    /** An application with a Spring AI model of its own. */
    @Configuration(proxyBeanMethods = false)
    static class OwnSpringAiModel {
        @Bean
        org.springframework.ai.chat.model.ChatModel otherSpringAiModel() {
            return prompt -> {
                throw new UnsupportedOperationException();
            };
        }
    }

    /** A meter registry, as Actuator gives applications. */
    @Configuration(proxyBeanMethods = false)
    static class Meters {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
