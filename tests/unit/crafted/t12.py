from mk import *
import struct,sys
def blk(t,body):
    body+=b'\0'*((-len(body))%4)
    L=12+len(body); return struct.pack('<II',t,L)+body+struct.pack('<I',L)
shb=blk(0x0A0D0D0A,struct.pack('<IHHq',0x1A2B3C4D,1,0,-1))
def idb(link): return blk(1,struct.pack('<HHI',link,0,262144))
def epb(ifc,data,ts=1700000000*1000000):
    return blk(6,struct.pack('<IIIII',ifc,ts>>32,ts&0xffffffff,len(data),len(data))+data)
A=b'\xaa'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
ip=ipv4(C,G,17,udp(500,500,r1))
eth=b'\x00\x11\x22\x33\x44\x55'*2+b'\x08\x00'+ip
mode=sys.argv[1]
if mode=='multi':
    d=shb+idb(1)+idb(101)+epb(0,eth)+epb(1,ip)+epb(0,eth)
elif mode=='bigts':
    d=shb+idb(101)+epb(0,ip,ts=(1<<63)+5)+epb(0,ip,ts=(1<<64)-1)
open('t12-%s.pcapng'%mode,'wb').write(d)
