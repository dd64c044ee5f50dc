import struct, os
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16
    return (~s)&0xffff
def ip4(a): return bytes(int(x) for x in a.split('.'))
_id=[100]
def ipv4(src,dst,proto,payload,ident=None,off=0,mf=False,df=False,total=None):
    if ident is None: _id[0]+=1; ident=_id[0]
    fl=(0x2000 if mf else 0)|(0x4000 if df else 0)|(off//8)
    tl= total if total is not None else 20+len(payload)
    h=struct.pack('!BBHHHBBH4s4s',0x45,0,tl,ident,fl,64,proto,0,ip4(src),ip4(dst))
    h=h[:10]+struct.pack('!H',csum(h))+h[12:]
    return h+payload
def udp(sp,dp,data): return struct.pack('!HHHH',sp,dp,8+len(data),0)+data
def tcp(sp,dp,seq,ack,flags,data=b''):
    return struct.pack('!HHIIBBHHH',sp,dp,seq&0xffffffff,ack&0xffffffff,5<<4,flags,65535,0,0)+data
SYN,ACK,RST,FIN,PSH=2,0x10,4,1,8
def pl(np,body): return (np,body)
def ike(spi_i,spi_r,exch,flags,msgid,payloads,ver=0x20):
    # payloads: list of (type, body)
    out=b''
    for i,(t,b) in enumerate(payloads):
        nxt = payloads[i+1][0] if i+1<len(payloads) else 0
        if t in (46,53):  # SK/SKF: body tuple (inner_np, bytes)
            inner_np,bb=b; nxt=inner_np; b=bb
        out+=struct.pack('!BBH',nxt,0,4+len(b))+b
    first=payloads[0][0] if payloads else 0
    return spi_i+spi_r+struct.pack('!BBBBII',first,ver,exch,flags,msgid,28+len(out))+out
def sa_body():
    xf=struct.pack('!BBHBBH',0,0,8,1,0,12)  # one transform ENCR id 12
    prop=struct.pack('!BBHBBBB',0,0,8+len(xf),1,1,0,1)+xf
    return prop
def ke_body(g=14): return struct.pack('!HH',g,0)+b'\x11'*32
def nonce(): return os.urandom(32)
def notify(t,data=b''): return struct.pack('!BBH',0,0,t)+data
SA,KE,NONCE,N,SK,SKF=33,34,40,41,46,53
INIT,AUTH,INFO,CHILD=34,35,37,36
I,R=0x08,0x20
def pcap(path,frames,link=101):
    with open(path,'wb') as f:
        f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,262144,link))
        t=1700000000.0
        for i,fr in enumerate(frames):
            if isinstance(fr,tuple): ts,data=fr
            else: ts,data=t+i*0.1,fr
            if isinstance(data,tuple): data,cap=data
            else: cap=len(data)
            sec=int(ts); us=int(round((ts-sec)*1e6))
            f.write(struct.pack('<IIII',sec,us,cap,len(data))+data[:cap])
C='192.0.2.10'; G='198.51.100.10'
