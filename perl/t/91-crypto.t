#!/usr/bin/perl
# The crypto module against its references: Crypt::CBC (Debian's libcrypt-cbc-perl, with
# Crypt::Rijndael and Crypt::Blowfish) and the openssl command line, in both directions, for
# every algorithm and key derivation; wrong keys; cipher objects; both modes; FIPS rules.
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite);
use CPANBridge;
use Encode ();
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(sha256_hex hmac_sha256_hex sha512_hex);
use Digest::MD5 qw(md5_hex);

plan skip_all => 'no Crypt::CBC with Crypt::Rijndael and Crypt::Blowfish (make deps installs them)'
    unless eval { require Crypt::CBC; require Crypt::Rijndael; require Crypt::Blowfish; 1 };

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new();
my $plain  = "Batch record 42: Zürich, 東京, 🎉\n" x 3;
my $bytes  = Encode::encode('UTF-8', $plain);
my $pass   = 'correct horse battery staple';

sub call_ok {
    my ($fn, $params, $what) = @_;
    my $r = $bridge->call('crypto', $fn, $params);
    ok($r->{success}, $what) or diag explain $r;
    return $r->{result} // {};
}

# Crypt::CBC objects for the derivations API.md names, and the bridge's parameters for each.
my @derivations = (
    [ 'md5 (Crypt::CBC default)', { -pbkdf => 'opensslv1' },                { kdf => 'md5' } ],
    [ 'sha256',                   { -pbkdf => 'opensslv2' },                { kdf => 'sha256' } ],
    [ 'pbkdf2 sha256',            { -pbkdf => 'pbkdf2', -iter => 2000 },    { kdf => 'pbkdf2', iterations => 2000 } ],
);
my @algorithms = (
    [ 'AES', 'Crypt::Rijndael', {} ],
    [ 'AES-128', 'Crypt::Rijndael', { -keysize => 16 } ],
    [ 'Blowfish', 'Crypt::Blowfish', {} ],
);

for my $a (@algorithms) {
    my ($alg, $module, $extra) = @$a;
    for my $d (@derivations) {
        my ($dname, $cbc_opts, $bridge_opts) = @$d;
        my $what = "$alg, $dname";
        my %p = (algorithm => $alg, key => $pass, %$bridge_opts);
        $p{keysize} = $extra->{-keysize} if $extra->{-keysize};
        my $cbc = Crypt::CBC->new(-pass => $pass, -cipher => $module, -nodeprecate => 1, %$cbc_opts, %$extra);

        my $enc = call_ok('encrypt', { %p, data => $plain }, "$what: bridge encrypts");
        my $back = eval { $cbc->decrypt(decode_base64($enc->{encrypted_data} // '')) } // '';
        is($back, $bytes, "$what: Crypt::CBC decrypts the bridge's data");

        my $theirs = encode_base64($cbc->encrypt($bytes), '');
        my $dec = call_ok('decrypt', { %p, encrypted_data => $theirs }, "$what: bridge decrypts");
        is($dec->{decrypted_data}, $plain, "$what: the bridge reads Crypt::CBC's data");
    }
}

# openssl enc, both ways: AES sizes and digests as its command line writes them.
for my $case ([ 'aes-256-cbc', 'AES', [ '-md', 'md5' ], { kdf => 'md5' } ],
              [ 'aes-192-cbc', 'AES-192', [ '-md', 'sha256' ], { kdf => 'sha256' } ],
              [ 'aes-128-cbc', 'AES-128', [ '-pbkdf2', '-iter', 5000, '-md', 'sha512' ],
                { kdf => 'pbkdf2', iterations => 5000, digest => 'sha512' } ]) {
    my ($cipher, $alg, $flags, $opts) = @$case;
    my $what = "openssl enc -$cipher @$flags";
    my $enc = call_ok('encrypt', { algorithm => $alg, key => $pass, data => $plain, %$opts },
                      "$what: bridge encrypts");
    open(my $fh, '|-', 'sh', '-c', "openssl enc -d -$cipher @$flags -a -A -pass 'pass:$pass' > $suite->{dir}.plain 2>/dev/null")
        or die "openssl: $!";
    print $fh $enc->{encrypted_data};
    close $fh;
    my $got = do { open(my $in, '<:raw', "$suite->{dir}.plain") or die $!; local $/; <$in> };
    is($got, $bytes, "$what: openssl decrypts the bridge's data");
    unlink "$suite->{dir}.plain";

    open($fh, '>:raw', "$suite->{dir}.in") or die $!;
    print $fh $bytes;
    close $fh;
    my $theirs = `openssl enc -$cipher @$flags -a -pass 'pass:$pass' -in $suite->{dir}.in 2>/dev/null`;
    unlink "$suite->{dir}.in";
    my $dec = call_ok('decrypt', { algorithm => $alg, key => $pass, encrypted_data => $theirs, %$opts },
                      "$what: bridge decrypts openssl's base64, line breaks and all");
    is($dec->{decrypted_data}, $plain, "$what: same text");
}

# Wrong keys and damaged data: one uniform error, never garbage.
# A fixed salt makes the wrong key's outcome fixed too: with a random one, a wrong key gives
# valid-looking padding about once in 256 runs, as CBC without a MAC does for everyone.
my $good = call_ok('encrypt', { key => $pass, data => $plain, salt => '0123456789abcdef' },
                   'encrypt for the failure cases');
for my $bad ([ 'a wrong passphrase', { key => 'wrong', encrypted_data => $good->{encrypted_data} } ],
             # Cut short by a byte: no longer whole blocks, so it can never pass as padding (a
             # changed last byte decrypts to valid padding once in about 256 tries).
             [ 'a damaged message', { key => $pass,
                   encrypted_data => encode_base64(substr(decode_base64($good->{encrypted_data}), 0, -1), '') } ]) {
    my $r = $bridge->call('crypto', 'decrypt', $bad->[1]);
    is($r->{error_code}, 'E_BACKEND', "$bad->[0]: E_BACKEND");
    like($r->{error} // '', qr/bad decrypt/, "$bad->[0]: the one 'bad decrypt' message");
}

# Raw (Crypt::CBC -literal_key, -header none) and the earlier daemon's hex(IV . ciphertext).
my $key32 = join '', map { chr(65 + $_) } 0 .. 31;
my $iv16  = '0123456789abcdef';
my $raw   = Crypt::CBC->new(-key => $key32, -literal_key => 1, -header => 'none', -iv => $iv16,
                            -cipher => 'Crypt::Rijndael');
my $raw_ct = $raw->encrypt($bytes);
my $dec = call_ok('decrypt', { format => 'raw', key => $key32, iv => $iv16,
                               encrypted_data => unpack('H*', $raw_ct) }, 'raw: decrypt');
is($dec->{decrypted_data}, $plain, 'raw: Crypt::CBC -literal_key data reads back');
my $enc = call_ok('encrypt', { format => 'raw', key => $key32, iv => $iv16, data => $plain, encoding => 'hex' },
                  'raw: encrypt');
is(pack('H*', $enc->{encrypted_data}), $raw_ct, 'raw: the same bytes as Crypt::CBC');
$dec = call_ok('decrypt', { key => $key32, hex_ciphertext => unpack('H*', $iv16 . $raw_ct) },
               'legacy: hex of IV and ciphertext decrypts');
is($dec->{decrypted_data}, $plain, 'legacy: same text');
is($dec->{format}, 'legacy', 'legacy: recognised by itself');

# GCM: random salt and nonce, the tag checked.
$enc = call_ok('encrypt', { format => 'gcm', kdf => 'pbkdf2', key => $pass, data => $plain }, 'gcm: encrypt');
$dec = call_ok('decrypt', { format => 'gcm', kdf => 'pbkdf2', key => $pass, encrypted_data => $enc->{encrypted_data} },
               'gcm: decrypt');
is($dec->{decrypted_data}, $plain, 'gcm: round trip');
my $tampered = decode_base64($enc->{encrypted_data});
substr($tampered, 30, 1) ^= "\x01";
my $r = $bridge->call('crypto', 'decrypt', { format => 'gcm', kdf => 'pbkdf2', key => $pass,
                                             encrypted_data => encode_base64($tampered, '') });
like($r->{error} // '', qr/bad decrypt/, 'gcm: a changed byte fails the tag, uniformly');

# Binary plaintext comes back as bytes.
my $bin = join '', map { chr } 0 .. 255;
$enc = call_ok('encrypt', { key => $pass, data => CPANBridge::binary($bin) }, 'binary: encrypt');
$dec = call_ok('decrypt', { key => $pass, encrypted_data => $enc->{encrypted_data} }, 'binary: decrypt');
is(CPANBridge::unbinary($dec->{decrypted_data}), $bin, 'binary: the same 256 bytes');

# Hashes and HMACs match Perl's own digests.
is(call_ok('hash', { data => $plain, algorithm => 'SHA-256' })->{hash}, sha256_hex($bytes), 'sha256');
is(call_ok('hash', { data => $plain, algorithm => 'sha512' })->{hash}, sha512_hex($bytes), 'sha512');
is(call_ok('hash', { data => $plain, algorithm => 'MD5' })->{hash}, md5_hex($bytes), 'md5');
is(call_ok('hmac', { data => $plain, key => 'k' })->{hmac}, hmac_sha256_hex($bytes, 'k'), 'hmac sha256');
my $rnd = call_ok('random_bytes', { length => 32 });
like($rnd->{random}, qr/\A[0-9a-f]{64}\z/, 'random_bytes: 32 bytes of hex');
isnt(call_ok('random_bytes', { length => 32 })->{random}, $rnd->{random}, 'random_bytes: new each time');
is(call_ok('generate_key', { algorithm => 'AES' })->{length}, 32, 'generate_key: 32 bytes for AES');
ok(call_ok('compare', { a => 'same', b => 'same' })->{equal}, 'compare: equal');
ok(!call_ok('compare', { a => 'same', b => 'sane' })->{equal}, 'compare: not equal');

# A cipher object, as Crypt::CBC->new: encrypt and decrypt by id, then cleaned up.
my $new = call_ok('new', { key => $pass, cipher => 'Blowfish' }, 'new: a Blowfish cipher');
is($new->{cipher}, 'BF-CBC', 'new: canonical name');
$enc = call_ok('encrypt', { cipher_id => $new->{cipher_id}, data => $plain }, 'cipher: encrypt by id');
my $cbc = Crypt::CBC->new(-pass => $pass, -cipher => "Crypt::Blowfish", -pbkdf => "opensslv1", -nodeprecate => 1);
is($cbc->decrypt(decode_base64($enc->{encrypted_data})), $bytes, 'cipher: Crypt::CBC reads it');
$dec = call_ok('decrypt', { encrypted_data => $enc->{encrypted_data} }, 'cipher: the current one decrypts');
is($dec->{decrypted_data}, $plain, 'cipher: round trip');
call_ok('cleanup_cipher', { cipher_id => $new->{cipher_id} }, 'cleanup_cipher');
$r = $bridge->call('crypto', 'encrypt', { cipher_id => $new->{cipher_id}, data => 'x' });
is($r->{error_code}, 'E_HANDLE', 'a cleaned-up cipher is gone');
$r = $bridge->call('crypto', 'encrypt', { key => $pass, cipher_id => $new->{cipher_id}, data => 'x' });
is($r->{error_code}, 'E_INVALID_PARAM', 'key and cipher_id together are refused');
$r = $bridge->call('crypto', 'encrypt', { key => $pass, algorithm => 'DES', data => 'x' });
is($r->{error_code}, 'E_INVALID_PARAM', 'DES is refused');

# Both modes answer alike (the salt fixed, so that encryption is deterministic), and a cipher
# made in process mode is rebuilt for each call.
my $process = CPANBridge->new(daemon_mode => 0);
for my $case ([ 'encrypt', { key => $pass, data => $plain, salt => '0011223344556677' } ],
              [ 'decrypt', { key => $pass, encrypted_data => $good->{encrypted_data} } ],
              [ 'hash', { data => $plain, algorithm => 'sha1', encoding => 'base64' } ],
              [ 'decrypt', { key => 'wrong', encrypted_data => $good->{encrypted_data} } ]) {
    my ($fn, $p) = @$case;
    my $a = $bridge->call('crypto', $fn, $p);
    my $b = $process->call('crypto', $fn, $p);
    is($process->mode, 'process', "$fn: process mode answered");
    is_deeply($b, $a, "$fn: identical in both modes");
}
$new = $process->call('crypto', 'new', { key => $pass });
ok($new->{success}, 'process mode: new');
$enc = $process->call('crypto', 'encrypt', { cipher_id => $new->{result}{cipher_id}, data => $plain });
$dec = $process->call('crypto', 'decrypt', { cipher_id => $new->{result}{cipher_id}, encrypted_data => $enc->{result}{encrypted_data} });
is($dec->{result}{decrypted_data}, $plain, 'process mode: the cipher is rebuilt for each call');

# FIPS rules, as on a FIPS host ([crypto] fips = yes), and allow_legacy for old data.
stop_suite($suite);
for my $legacy (0, 1) {
    start_suite(config => "[crypto]\nfips = yes\nallow_legacy = " . ($legacy ? 'yes' : 'no') . "\n");
    my $b = CPANBridge->new();
    my $md5 = $b->call('crypto', 'encrypt', { key => $pass, data => 'x' });
    my $bf  = $b->call('crypto', 'encrypt', { key => $pass, data => 'x', algorithm => 'Blowfish', kdf => 'pbkdf2' });
    my $ok  = $b->call('crypto', 'encrypt', { key => $pass, data => 'x', kdf => 'pbkdf2' });
    if ($legacy) {
        ok($md5->{success} && $bf->{success}, 'FIPS with allow_legacy: md5 and Blowfish allowed');
    } else {
        is($md5->{error_code}, 'E_DENIED', 'FIPS: the md5 key derivation is E_DENIED');
        like($md5->{error} // '', qr/md5/, 'FIPS: the error names it');
        is($bf->{error_code}, 'E_DENIED', 'FIPS: Blowfish is E_DENIED');
        like($bf->{error} // '', qr/Blowfish/, 'FIPS: the error names Blowfish');
    }
    ok($ok->{success}, 'FIPS: AES with pbkdf2 works') or diag explain $ok;
}

done_testing();
