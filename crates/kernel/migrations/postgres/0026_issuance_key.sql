-- The development seal key an installation signs with (issue 16). Several instances on one database must seal
-- with the same key, or documents issued by one would carry a signature the others' certificates do not
-- explain. Each instance records the SHA-256 of its development key's public key on start; an instance with a
-- different development key refuses to start (`madoguchi_issuance::seal::check_development_key`). HSM keys
-- (key = "pkcs11") are shared by construction and are not recorded here.
CREATE TABLE issuance_dev_key (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    public_key_sha256 TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
