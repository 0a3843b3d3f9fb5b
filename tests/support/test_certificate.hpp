#pragma once
// A self-signed certificate made at test time (OpenSSL), for TLS tests
// against tests/support/fake_http_server.hpp: the server uses cert + key, the
// client trusts cert as its only authority. Nothing is written to disk.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace hotline::test {

struct test_certificate {
    std::string cert_pem;
    std::string key_pem;
};

// `subject_alt_names` in OpenSSL's syntax, e.g. "DNS:localhost,IP:127.0.0.1".
inline test_certificate make_test_certificate(const std::string& subject_alt_names,
                                              const std::string& common_name = "hotline test") {
    auto fail = [](const char* what) -> void { throw std::runtime_error(std::string("test certificate: ") + what); };
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!key) fail("key generation failed");
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    if (!x) fail("X509_new failed");
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(x.get(), name);

    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, subject_alt_names},
                                     std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
        if (!ext) fail("extension failed");
        X509_add_ext(x.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!X509_sign(x.get(), key.get(), EVP_sha256())) fail("signing failed");

    auto to_pem = [&](auto write) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        if (!bio || !write(bio.get())) fail("PEM encoding failed");
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(n));
    };
    test_certificate out;
    out.cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, x.get()); });
    out.key_pem = to_pem([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

}  // namespace hotline::test
