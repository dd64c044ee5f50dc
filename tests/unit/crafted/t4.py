from mk import *
import struct, datetime, sys
# t4.py: a long UTF-8 subject; t4.py hostile: t18.pcap, a subject with
# terminal escapes, C1 controls and a bidirectional override.
hostile = len(sys.argv) > 1
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes, serialization
key=ec.generate_private_key(ec.SECP256R1())
name=x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,'é'*60,_validate=False),x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,'é'*60,_validate=False),x509.NameAttribute(NameOID.COMMON_NAME,'\x9b31mRED\x9b0m\u202eevil' if hostile else 'é'*60,_validate=False)])
now=datetime.datetime(2023,1,1)
cert=x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1).not_valid_before(now).not_valid_after(now+datetime.timedelta(days=10)).sign(key,hashes.SHA256())
der=cert.public_bytes(serialization.Encoding.DER)
S='198.51.100.7'
def rec(t,b,ver=0x0303): return struct.pack('!BHH',t,ver,len(b))+b
def hs(t,b): return struct.pack('!B',t)+len(b).to_bytes(3,'big')+b
ch=struct.pack('!H',0x0303)+b'\x01'*32+b'\x00'+struct.pack('!H',2)+b'\xc0\x2b'+b'\x01\x00'
sh=struct.pack('!H',0x0303)+b'\x02'*32+b'\x00'+b'\xc0\x2b'+b'\x00'
certs=len(der).to_bytes(3,'big')+der
cm=hs(11,len(certs).to_bytes(3,'big')+certs)
cs,ss=1000,5000
t=lambda s,d,sp,dp,seq,ack,fl,data=b'': ipv4(s,d,6,tcp(sp,dp,seq,ack,fl,data))
c_hello=rec(22,hs(1,ch))
s_flight=rec(22,hs(2,sh)+cm)
alert=rec(21,b'\x02\x2d')
fr=[t(C,S,40000,443,cs,0,SYN), t(S,C,443,40000,ss,cs+1,SYN|ACK),
    t(C,S,40000,443,cs+1,ss+1,ACK|PSH,c_hello),
    t(S,C,443,40000,ss+1,cs+1+len(c_hello),ACK|PSH,s_flight),
    t(C,S,40000,443,cs+1+len(c_hello),ss+1+len(s_flight),ACK|PSH,alert)]
pcap('t18.pcap' if hostile else 't4.pcap',fr)
