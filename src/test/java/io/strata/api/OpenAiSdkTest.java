package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URL;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** The official OpenAI Java SDK as a real client: only its base URL changes. */
@QuarkusTest
class OpenAiSdkTest extends StrataTest {

    @TestHTTPResource("/v1")
    URL baseUrl;

    private OpenAIClient client;

    @BeforeEach
    void buildClient() {
        client = OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey("sk-sdk-user").maxRetries(0).build();
    }

    @Test
    void chatCompletionMissThenHitGivesTheSameAnswer() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model("gpt-test").temperature(0.2).addUserMessage(uniquePrompt()).build();

        HttpResponseFor<ChatCompletion> miss = client.chat().completions().withRawResponse().create(params);
        assertEquals("MISS", miss.headers().values("X-Cache-Status").get(0));
        ChatCompletion first = miss.parse();
        assertEquals("answer #1", first.choices().get(0).message().content().orElseThrow());
        assertEquals("gpt-test-2024-08-06", first.model());

        awaitInL1(miss.headers().values("X-Cache-Key").get(0));
        HttpResponseFor<ChatCompletion> cached = client.chat().completions().withRawResponse().create(params);
        assertEquals("HIT-L1", cached.headers().values("X-Cache-Status").get(0));
        ChatCompletion hit = cached.parse();
        assertEquals(first.id(), hit.id());
        assertEquals(first.choices().get(0).message().content(), hit.choices().get(0).message().content());
        assertEquals(first.usage().orElseThrow().totalTokens(), hit.usage().orElseThrow().totalTokens());
        assertEquals(1, Provider.calls());
    }

    @Test
    void embeddingsThroughTheSdk() {
        EmbeddingCreateParams params = EmbeddingCreateParams.builder().model("text-embedding-3-small").input(uniquePrompt()).build();
        CreateEmbeddingResponse response = client.embeddings().create(params);
        assertEquals(3, response.data().get(0).embedding().size());
    }

    @Test
    void strataErrorsAreReadableBySdk() {
        Provider.always(Provider.status(400,
                "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}"));
        BadRequestException error = assertThrows(BadRequestException.class, () -> client.chat().completions()
                .create(ChatCompletionCreateParams.builder().model("nope").addUserMessage(uniquePrompt()).build()));
        assertEquals("model_not_found", error.code().orElseThrow());
    }
}
